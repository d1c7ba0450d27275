"""``selftalk export-onnx``: the animator as an ONNX graph, with a JSON sidecar and a parity check."""

from __future__ import annotations

import argparse

from selftalk.cli.common import add_output
from selftalk.cli.types import positive_int


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export-onnx",
        help="export a model to ONNX (ONNX Runtime and other ONNX engines)",
        description="Export a model's inference graph to ONNX (dynamic audio length), check it "
        "with onnx.checker, compare ONNX Runtime with torch, and write a JSON sidecar (topology, "
        "frame rate, input contract) and the model's mesh beside it.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", metavar="MODEL_DIR", help="a model directory (default: bundled)")
    source.add_argument("--run", metavar="RUN_DIR", help="a training run")
    parser.add_argument(
        "--checkpoint", choices=("best", "latest"), default="best", help="with --run (best)"
    )
    add_output(parser, required=True, metavar="MODEL.onnx", help="the graph to write")
    parser.add_argument("--opset", type=positive_int, default=None, help="ONNX opset (default: 18)")
    parser.add_argument("--no-parity", action="store_true", help="skip the comparison with torch")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from selftalk.errors import ConfigError, InputError
    from selftalk.inference.loading import load_model
    from selftalk.inference.onnx import OPSET, export_model
    from selftalk.outputs import check_output_file

    out = Path(args.output)
    if out.suffix.lower() != ".onnx":
        raise InputError(out, "the output must end in .onnx")
    opset = OPSET if args.opset is None else args.opset
    if opset < 18:
        raise ConfigError(f"--opset {opset}: the exporter writes opset 18 or newer")
    outputs = (out, out.with_suffix(".ply"), out.with_suffix(".json"))  # graph, mesh, sidecar
    _refuse_model_files(out, outputs, args.model)  # before any work
    for path in outputs:
        check_output_file(path, inputs=[args.model, args.run])
    loaded = load_model(model_dir=args.model, run_dir=args.run, checkpoint=args.checkpoint)
    _refuse_model_files(out, outputs, loaded.directory)  # a run's checkpoint, the bundled model
    source = (
        {"model": args.model, "run": args.run} if (args.model or args.run) else {"model": "bundled"}
    )
    report = export_model(loaded, out, opset=opset, check_parity=not args.no_parity, source=source)
    print(
        f"{report.path}: opset {opset}, exported in {report.seconds:.1f} s; sidecar {report.sidecar.name}"
    )
    if report.parity is not None:
        p = report.parity
        print(
            f"parity with torch: max abs vertex difference {p.max_abs:.2e} "
            f"({p.relative:.1e} of the motion scale {p.motion_scale:.3g}) "
            f"on {', '.join(f'{s:g} s' for s in p.seconds)} of audio"
        )
    return 0


def _refuse_model_files(out, outputs, folder) -> None:
    """Refuse ``outputs`` that would replace a file of the model ``folder`` (the same path,
    or a link to it); the files are registered as inputs (:mod:`selftalk.outputs`)."""
    from pathlib import Path

    from selftalk.errors import InputError
    from selftalk.outputs import protect, same_file

    if folder is None or not Path(folder).is_dir():
        return
    files = [p for p in Path(folder).iterdir() if p.is_file()]
    protect(*files)
    written = {Path(p).resolve() for p in outputs}
    if any(p.resolve() in written or any(same_file(p, o) for o in outputs) for p in files):
        raise InputError(out, "would overwrite a file of the model directory")
