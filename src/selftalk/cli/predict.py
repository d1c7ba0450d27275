"""``selftalk predict``: motion (.npy) for one audio file, from a model or a training run."""

from __future__ import annotations

import argparse

from selftalk.cli.types import positive_float


def add_model_arguments(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """--model / --run / --checkpoint / --subject / --template / --device, shared by verbs."""
    source = parser.add_mutually_exclusive_group(required=required)
    source.add_argument(
        "--model",
        metavar="MODEL_DIR",
        help="a model directory (default: the bundled model)"
        if not required
        else "a model directory",
    )
    source.add_argument(
        "--run", dest="run_dir", metavar="RUN_DIR", help="a training run (its best checkpoint)"
    )
    parser.add_argument(
        "--checkpoint",
        choices=("best", "latest"),
        default="best",
        help="with --run: which checkpoint (default: best)",
    )
    face = parser.add_mutually_exclusive_group()
    face.add_argument("--subject", help="a subject whose template the model directory holds")
    face.add_argument(
        "--template", metavar="MESH", help="a neutral face (.ply/.obj) on the model's topology"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, … (default: cpu)")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="predict motion (.npy) for an audio file",
        description="Animate one audio file: writes (frames × vertices × 3) float32 vertices.",
    )
    parser.add_argument("audio", metavar="AUDIO", help="speech in any common format")
    add_model_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT.npy")
    parser.add_argument(
        "--window",
        type=positive_float,
        default=20.0,
        help="seconds of audio per pass; longer audio is cross-faded (default 20)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from selftalk.audio import load_audio
    from selftalk.inference.loading import load_model
    from selftalk.inference.predict import max_audio_seconds, predict_motion
    from selftalk.io import save_npy
    from selftalk.outputs import check_output_file

    check_output_file(args.output, suffixes=(".npy",), inputs=[args.audio, args.template])
    loaded = load_model(
        model_dir=args.model, run_dir=args.run_dir, checkpoint=args.checkpoint, device=args.device
    )
    template = loaded.template(subject=args.subject, mesh_path=args.template)
    longest, why = max_audio_seconds(loaded.model)
    audio = load_audio(args.audio, max_seconds=longest, why=why)
    motion = predict_motion(loaded.model, audio, template, window=args.window, source=args.audio)
    save_npy(args.output, motion)
    print(
        f"{args.output}: {motion.shape[0]} frames at {loaded.model.config.fps:g} fps, "
        f"{motion.shape[1]} vertices"
    )
    return 0
