"""``selftalk compare``: several methods' predictions on one test set, with paired bootstrap CIs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from selftalk.cli.common import add_output, add_progress, progress_enabled
from selftalk.cli.types import fraction, positive_int

HELP = "compare methods: metrics with paired bootstrap intervals and significance tests"


def register(subparsers: argparse._SubParsersAction) -> None:
    from selftalk.cli.metrics import add_dataset_arguments, add_definition_arguments

    parser = subparsers.add_parser(
        "compare",
        help=HELP,
        description=(
            "Score each folder of predictions (as selftalk metrics does) on the clips all of "
            "them predicted, and print a table of methods: each metric with a paired bootstrap "
            "confidence interval over clips, and against the reference method the difference, "
            "its interval and two-sided p-values (paired bootstrap, Wilcoxon signed-rank). "
            "See docs/metric-definitions.md."
        ),
    )
    parser.add_argument(
        "pred", nargs="+", type=Path, metavar="PRED_DIR", help="one folder a method"
    )
    parser.add_argument("--data", required=True, type=Path, metavar="DATA_DIR", help="the dataset")
    add_dataset_arguments(parser)
    add_definition_arguments(parser)
    parser.add_argument(
        "--names", metavar="A,B,…", help="method names, one a folder (default: folder names)"
    )
    parser.add_argument(
        "--reference", metavar="NAME", help="the method others are compared with (default: first)"
    )
    parser.add_argument(
        "--metrics",
        default="lve,fdd",
        metavar="LIST",
        help="comma-separated, among lve, fdd, mve (default: lve,fdd)",
    )
    parser.add_argument(
        "--bootstrap",
        type=positive_int,
        default=10000,
        metavar="B",
        help="bootstrap samples (default: 10000)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the bootstrap draws (default: 0)"
    )
    parser.add_argument(
        "--confidence", type=fraction, default=0.95, help="interval coverage (default: 0.95)"
    )
    parser.add_argument(
        "--scale",
        default="auto",
        choices=["auto", "raw", "vocaset", "biwi"],
        help="powers of ten the values are printed in (default: by the dataset's name)",
    )
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="compare on the clips every method predicted, instead of refusing",
    )
    parser.add_argument(
        "--format", choices=["markdown", "latex", "json"], default="markdown", help="output format"
    )
    add_output(parser, type=Path, metavar="FILE", help="write the table here too")
    add_progress(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from selftalk.errors import ConfigError
    from selftalk.io import write_text
    from selftalk.metrics.compare import compare_predictions
    from selftalk.metrics.compare_table import FORMATS
    from selftalk.metrics.evaluate import EvaluateOptions

    if "," in args.definition or args.definition.lower() == "all":
        raise ConfigError("compare takes one --definition (run it once per definition)")
    if args.output:  # before any work: never over an input, a suffix that fits the format
        from selftalk.outputs import check_output_file, files_in

        suffixes = {"markdown": (".md", ".txt"), "latex": (".tex", ".txt"), "json": (".json",)}
        inputs = [*args.pred, args.data, args.split_file, args.regions]
        loose = files_in(*args.pred, args.data, suffixes=suffixes[args.format])  # meta.json…
        check_output_file(args.output, suffixes=suffixes[args.format], inputs=[*inputs, *loose])
    options = EvaluateOptions(
        split=args.split,
        scale=args.scale,
        allow_missing=args.allow_missing,
        definition=args.definition,
        regions=args.regions,
        split_file=args.split_file,
        condition=args.condition,
        pred_scale=args.pred_scale,
    )
    names = [n.strip() for n in args.names.split(",")] if args.names else None
    result = compare_predictions(
        args.pred,
        args.data,
        options,
        names=names,
        reference=args.reference,
        metrics=[m.strip().lower() for m in args.metrics.split(",") if m.strip()],
        n_boot=args.bootstrap,
        seed=args.seed,
        confidence=args.confidence,
        progress=progress_enabled(args),
    )
    for warning in dict.fromkeys(result.warnings):
        print(f"selftalk compare: warning: {warning}", file=sys.stderr)
    text = FORMATS[args.format](result)
    print(text, end="")
    if args.output:
        write_text(args.output, text)
    return 0
