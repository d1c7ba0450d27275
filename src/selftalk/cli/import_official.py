"""``selftalk import-official``: turn a SelfTalk release checkpoint into a selftalk model directory."""

from __future__ import annotations

import argparse

from selftalk.cli.common import ConfigRecipe, add_config, add_output, resolve_config
from selftalk.config import PRESETS

#: the architecture of the checkpoint: vocaset-official or biwi-official (or any preset)
CONFIGS = ConfigRecipe(presets=PRESETS)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "import-official",
        help="import an official SelfTalk checkpoint (vocaset.pth, BIWI.pth)",
        description=(
            "Convert a checkpoint of the official SelfTalk release into a selftalk model "
            "directory (config.json + model.safetensors, plus the frozen recognizer as a "
            "Hugging Face Wav2Vec2ForCTC directory). Loading is strict: every key of the "
            "checkpoint must map to the preset's architecture and none may be missing."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("checkpoint", help="the release's .pth file (a plain state dict)")
    parser.add_argument(
        "--lips",
        required=True,
        metavar="LIP_FILE",
        help="lip vertex list the checkpoint was trained with: FLAME_masks.pkl "
        "(VOCASET, region 'lips'), BIWI_lip.pkl (BIWI), or a .txt/.npy "
        "index list",
    )
    parser.add_argument(
        "--lip-key", default="lips", help="region to read when LIP_FILE is a dict of regions"
    )
    parser.add_argument(
        "--mesh",
        help="mesh (.ply/.obj) of the topology, kept as the model's "
        "neutral face and triangles so it can be rendered",
    )
    parser.add_argument(
        "--templates",
        help="subject templates (templates.pkl of VOCASET/BIWI, or "
        ".npz), kept so `--subject NAME` picks one",
    )
    add_config(parser, CONFIGS, preset_required=True)
    parser.add_argument(
        "--no-recognizer",
        action="store_true",
        help="check but do not write the recognizer (inference does not need it; "
        "saves about 1.2 GB)",
    )
    add_output(parser, required=True, metavar="MODEL_DIR", help="model directory to write")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from selftalk.data.layout import read_templates
    from selftalk.errors import InputError
    from selftalk.mesh import read_mesh
    from selftalk.models.official import (
        OFFICIAL_PRESETS,
        import_official,
        load_official_state,
        save_imported,
    )
    from selftalk.outputs import check_output_folder
    from selftalk.topology import read_indices

    check_output_folder(
        args.output,
        inputs=[args.checkpoint, args.lips, args.mesh, args.templates, *args.config_files],
    )
    config = resolve_config(args)
    lips = read_indices(args.lips, key=args.lip_key)
    mesh = read_mesh(args.mesh) if args.mesh else None
    if mesh is not None and len(mesh.vertices) != config.model.n_vertices:
        raise InputError(
            args.mesh,
            f"the mesh has {len(mesh.vertices)} vertices; the model "
            f"animates {config.model.n_vertices}",
        )
    templates = read_templates(args.templates) if args.templates else None
    if templates == {}:
        raise InputError(args.templates, "holds no template")
    for subject, template in (templates or {}).items():
        if len(template) != config.model.n_vertices:
            raise InputError(
                args.templates,
                f"the template of {subject!r} has {len(template)} "
                f"vertices; the model animates {config.model.n_vertices}",
            )
    state = load_official_state(args.checkpoint)
    imported = import_official(
        state,
        config.model,
        lips,
        recognizer=config.recognizer,
        keep_recognizer=not args.no_recognizer,
        source=args.checkpoint,
    )
    del state
    save_imported(imported, args.output, mesh=mesh, templates=templates, source=args.checkpoint)
    n_params = sum(p.numel() for p in imported.model.parameters())
    note = "" if args.preset in OFFICIAL_PRESETS else " (not an official preset)"
    print(
        f"wrote {args.output}: {args.preset}{note} model, {n_params / 1e6:.1f} M parameters, "
        f"{imported.model.config.n_lip_vertices} lip vertices"
        + ("" if args.no_recognizer else f"; recognizer in {args.output}/recognizer")
    )
    return 0
