"""``selftalk metrics``: score predicted motions against a split (LVE, FDD, MVE, LRP, CER)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from selftalk.cli.common import add_output, add_progress, progress_enabled
from selftalk.cli.types import percent, positive_float
from selftalk.errors import InputError

HELP = "score predictions: LVE, FDD, MVE, LRP (and lip-reading CER)"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "metrics",
        help=HELP,
        description=(
            "Score one predicted motion a clip (PRED_DIR/{clip}.npy, frames x vertices x 3 or "
            "frames x vertices*3, at the dataset's fps) against the ground truth of a split: "
            "LVE, FDD, MVE, LRP at named thresholds and as a curve, and lip-reading CER when "
            "transcripts are given. See docs/metrics.md for the exact definitions."
        ),
    )
    parser.add_argument(
        "--pred",
        required=True,
        type=Path,
        metavar="PRED_DIR",
        help="folder of {clip}.npy predictions",
    )
    parser.add_argument(
        "--data",
        required=True,
        type=Path,
        metavar="DATA_DIR",
        help="dataset: prepared, or as FaceFormer, CodeTalker, SelfTalk or UniTalker keep it",
    )
    add_dataset_arguments(parser)
    add_definition_arguments(parser)
    parser.add_argument(
        "--rho",
        type=positive_float,
        nargs="+",
        metavar="R",
        help="LRP thresholds in dataset units (default: the scale's; see docs/metrics.md)",
    )
    parser.add_argument(
        "--rho-for-lrp",
        type=percent,
        nargs="+",
        default=[50.0, 90.0, 95.0],
        metavar="PERCENT",
        help="report the threshold ρ needed to reach these LRP percentages (default: 50 90 95)",
    )
    parser.add_argument(
        "--scale",
        default="auto",
        choices=["auto", "raw", "vocaset", "biwi"],
        help="reporting convention: powers of ten for LVE/FDD/MVE and default ρ "
        "(auto: by the dataset's name, else raw)",
    )
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="score the clips that have a prediction, skip the rest",
    )
    parser.add_argument(
        "--strict-length",
        action="store_true",
        help="refuse predictions shorter than their ground truth "
        "(default: compare the frames both have, and warn)",
    )
    parser.add_argument(
        "--hypotheses",
        type=Path,
        metavar="FILE.json",
        help="lip-reading transcripts, {clip: text}: enables CER",
    )
    reader = parser.add_mutually_exclusive_group()
    reader.add_argument(
        "--model",
        metavar="MODEL_DIR",
        help="read the predicted lips with this model's lip reader: enables CER",
    )
    reader.add_argument(
        "--run",
        metavar="RUN_DIR",
        help="like --model, with a training run's best checkpoint",
    )
    parser.add_argument(
        "--references",
        type=Path,
        metavar="FILE.json",
        help="reference transcripts, {clip: text} (default: the dataset's meta.json transcripts)",
    )
    parser.add_argument(
        "--raw-text",
        action="store_true",
        help="compare transcripts as given (no upper-casing, no punctuation removal)",
    )
    add_output(parser, type=Path, metavar="REPORT.json", help="write the report as JSON")
    parser.add_argument(
        "--plots", type=Path, metavar="DIR", help="write lrp_curve.png and lip_error.png here"
    )
    add_progress(parser)
    parser.set_defaults(handler=run)


def add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """--split, --split-file, --regions, --condition, --pred-scale (shared with ``compare``)."""
    parser.add_argument(
        "--split",
        default="test",
        help="split to score (default: test; BIWI's test is test-a, as CodeTalker scores it)",
    )
    parser.add_argument(
        "--split-file",
        type=Path,
        metavar="SPLITS.json",
        help="named splits {split: {subject: [sentence, ...]}} instead of the dataset's own",
    )
    parser.add_argument(
        "--regions",
        default="auto",
        metavar="NAME|PATH",
        help="lip / upper-face vertices: auto, regions (regions/lve.txt, fdd.txt), biwi-lip "
        "(BIWI_lip.pkl), flame (FLAME_masks.pkl), or a folder or file (default: auto)",
    )
    parser.add_argument(
        "--condition",
        default="auto",
        metavar="auto|all|SUBJECT",
        help="which {clip}_condition_{subject}.npy files to score (default: auto: {clip}.npy, "
        "else the clip's own subject, else every condition)",
    )
    parser.add_argument(
        "--pred-scale",
        type=positive_float,
        default=1.0,
        metavar="FACTOR",
        help="multiply predictions by this before scoring (e.g. 5 for UniTalker's BIWI outputs)",
    )


def add_definition_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--definition",
        default="codetalker",
        metavar="NAME",
        help="metric definition(s): codetalker (= faceformer, selftalk), diffspeaker, unitalker, "
        "unitalker-lvd, facediffuser-abs, meshtalk, imitator, lip-mean; comma-separated, or all "
        "(default: codetalker; docs/metric-definitions.md)",
    )


def _read_texts(path: Path) -> dict[str, str]:
    from selftalk.io import read_json  # here, so the CLI starts without numpy

    texts = read_json(path)
    if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
        raise InputError(path, 'expected a JSON object of clip names to strings: {"clip": "text"}')
    return texts


def run(args: argparse.Namespace) -> int:
    from selftalk.metrics.evaluate import EvaluateOptions, evaluate_predictions
    from selftalk.metrics.report import format_table, write_plots, write_report_json
    from selftalk.outputs import check_output_file, check_output_folder, files_in

    inputs = [args.pred, args.data, args.hypotheses, args.references, args.split_file]
    if args.output:
        loose = files_in(args.pred, args.data, suffixes=(".json",))  # meta.json, splits…
        check_output_file(args.output, suffixes=(".json",), inputs=[*inputs, *loose])
    if args.plots:
        check_output_folder(args.plots, inputs=inputs)
    options = EvaluateOptions(
        split=args.split,
        rhos=tuple(args.rho) if args.rho else None,
        lrp_levels=tuple(p / 100 for p in args.rho_for_lrp),
        scale=args.scale,
        allow_missing=args.allow_missing,
        strict_length=args.strict_length,
        normalize_text=not args.raw_text,
        definition=args.definition,
        regions=args.regions,
        split_file=args.split_file,
        condition=args.condition,
        pred_scale=args.pred_scale,
    )
    hypotheses = _read_texts(args.hypotheses) if args.hypotheses else None
    if args.model or args.run:
        if hypotheses is not None:
            raise InputError(
                args.hypotheses, "give --hypotheses or a lip reader (--model/--run), not both"
            )
        from selftalk.inference.lipread import read_predictions
        from selftalk.inference.loading import load_model

        reader = load_model(model_dir=args.model, run_dir=args.run).model
        hypotheses = read_predictions(
            reader, args.pred, args.data, args.split, split_file=args.split_file
        )
    report = evaluate_predictions(
        args.pred,
        args.data,
        options,
        hypotheses=hypotheses,
        references=_read_texts(args.references) if args.references else None,
        progress=progress_enabled(args),
    )
    for warning in report.warnings:
        print(f"selftalk metrics: warning: {warning}", file=sys.stderr)
    print(format_table(report))
    if args.output:
        write_report_json(args.output, report)
        print(f"report: {args.output}")
    if args.plots:
        for path in write_plots(args.plots, report):
            print(f"plot: {path}")
    return 0
