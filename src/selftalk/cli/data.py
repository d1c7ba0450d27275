"""``selftalk data check DATA_DIR``: report every problem of a prepared dataset."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from selftalk.cli.common import add_progress, progress_enabled
from selftalk.cli.types import non_negative_float


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "data",
        help="inspect prepared datasets",
        description="Inspect datasets in the processed layout (docs/data-format.md).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="report every problem of a dataset; exit status 1 if there is any",
        description=(
            "Check a dataset (prepared, or in FaceFormer's, CodeTalker's, SelfTalk's or "
            "UniTalker's layout) and list every problem found: clips with audio but no "
            "motion or the reverse, motion on another vertex count than the template, NaN or "
            "infinite values, audio and motion of different durations, unreadable or empty "
            "audio, splits naming unknown subjects or missing clips, and broken meta.json, "
            "templates, mesh or region files. Exit status 1 when any problem is found."
        ),
    )
    check.add_argument("data_dir", type=Path, metavar="DATA_DIR", help="the dataset to check")
    check.add_argument(
        "--tolerance",
        type=non_negative_float,
        default=0.5,
        metavar="SECONDS",
        help="largest accepted audio/motion duration difference (default: %(default)s s)",
    )
    check.add_argument(
        "--split-file",
        type=Path,
        metavar="SPLITS.json",
        help="named splits to check instead of the dataset's own",
    )
    check.add_argument(
        "--regions",
        default="auto",
        metavar="NAME|PATH",
        help="lip / upper-face regions to check (default: the dataset's; see selftalk metrics)",
    )
    add_progress(check)
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    from selftalk.data.check import check_dataset

    progress = None
    if progress_enabled(args):
        from tqdm import tqdm

        def progress(items):
            return tqdm(items, desc="checking", unit="clip", leave=False, dynamic_ncols=True)

    report = check_dataset(
        args.data_dir,
        tolerance=args.tolerance,
        progress=progress,
        split_file=args.split_file,
        regions=args.regions,
    )
    for problem in report.problems:
        print(problem)
    for warning in report.warnings:
        print(f"warning: {warning}")
    if report.ok:
        print(f"{args.data_dir}: {report.n_clips} clips, no problems")
        return 0
    print(
        f"{args.data_dir}: {len(report.problems)} problem(s) in {report.n_clips} clips",
        file=sys.stderr,
    )
    return 1
