"""``selftalk prepare vocaset|biwi RAW_DIR -o DATA_DIR``: a raw release → the processed layout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from selftalk.cli.common import add_output, add_progress, progress_enabled
from selftalk.cli.types import fps


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prepare",
        help="convert a raw VOCASET or BIWI release to the processed dataset layout",
        description="Convert a raw dataset release to the processed layout (docs/datasets.md).",
    )
    datasets = parser.add_subparsers(dest="dataset", metavar="DATASET", required=True)

    vocaset = datasets.add_parser(
        "vocaset",
        help="VOCASET: data_verts.npy, raw_audio_fixed.pkl, subj_seq_to_idx.pkl, templates.pkl",
        description=(
            "Prepare VOCASET from its release files: data_verts.npy (read memory-mapped), "
            "raw_audio_fixed.pkl, subj_seq_to_idx.pkl and templates.pkl, plus FLAME_sample.ply "
            "(triangles) and FLAME_masks.pkl (regions) when present. Pickles are read without "
            "running code. Re-running skips the clips already written."
        ),
    )
    _common(vocaset, default_fps=30)
    vocaset.add_argument(
        "--mesh",
        type=Path,
        metavar="PLY",
        help="FLAME triangles (default: RAW_DIR/FLAME_sample.ply when present)",
    )
    vocaset.add_argument(
        "--masks",
        type=Path,
        metavar="PKL",
        help="FLAME region masks (default: RAW_DIR/FLAME_masks.pkl when present)",
    )
    vocaset.add_argument(
        "--lip-region",
        default="lips",
        metavar="NAME",
        help="mask written to regions/lve.txt (default: %(default)s)",
    )
    vocaset.add_argument(
        "--upper-face",
        default="forehead,eye_region",
        metavar="NAMES",
        help="comma-separated masks whose union is regions/fdd.txt (default: %(default)s)",
    )
    vocaset.set_defaults(handler=run_vocaset)

    biwi = datasets.add_parser(
        "biwi",
        help="BIWI: faces/ (.vl frames in tar/tgz), rigid_scans/*.obj, videos/*.flv",
        description=(
            "Prepare the BIWI 3D Audiovisual Corpus from faces/{subject}/{sentence}.tar|.tgz "
            "(binary .vl frames), rigid_scans/{subject}.obj (templates) and "
            "videos/{subject}_{sentence}.flv (audio, decoded with FFmpeg). Every frame and "
            "template is rotated by pi about x, centred and divided by the square root of its "
            "surface area. Re-running skips the clips already written."
        ),
    )
    _common(biwi, default_fps=25)
    biwi.add_argument(
        "--regions",
        type=Path,
        metavar="DIR",
        help="folder with lve.txt (lips) and fdd.txt (upper face), e.g. CodeTalker's BIWI/regions",
    )
    biwi.set_defaults(handler=run_biwi)


def _common(parser: argparse.ArgumentParser, *, default_fps: int) -> None:
    parser.add_argument("raw_dir", type=Path, metavar="RAW_DIR", help="the raw release")
    add_output(
        parser,
        type=Path,
        required=True,
        metavar="DATA_DIR",
        help="the processed dataset to write (created if missing)",
    )
    parser.add_argument(
        "--fps",
        type=fps,
        default=default_fps,
        help="frame rate models train at (default: %(default)s)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="rewrite clips that already exist instead of skipping them",
    )
    add_progress(parser)


def _check_output(args: argparse.Namespace, *inputs: Path | None) -> None:
    from selftalk.outputs import check_output_folder

    check_output_folder(args.output, inputs=[args.raw_dir, *inputs])


def run_vocaset(args: argparse.Namespace) -> int:
    from selftalk.data.vocaset import VocasetOptions, prepare_vocaset

    _check_output(args, args.mesh, args.masks)
    options = VocasetOptions(
        fps=_fps(args.fps),
        mesh=args.mesh,
        masks=args.masks,
        lip_region=args.lip_region,
        upper_face_regions=tuple(n.strip() for n in args.upper_face.split(",") if n.strip()),
        overwrite=args.overwrite,
        progress=progress_enabled(args),
    )
    return _summarise(prepare_vocaset(args.raw_dir, args.output, options))


def run_biwi(args: argparse.Namespace) -> int:
    from selftalk.data.biwi import BiwiOptions, prepare_biwi

    _check_output(args, args.regions)
    options = BiwiOptions(
        fps=_fps(args.fps),
        regions=args.regions,
        overwrite=args.overwrite,
        progress=progress_enabled(args),
    )
    return _summarise(prepare_biwi(args.raw_dir, args.output, options))


def _fps(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _summarise(report) -> int:
    for message in report.warnings:
        print(f"warning: {message}", file=sys.stderr)
    for message in report.failed:
        print(f"failed: {message}", file=sys.stderr)
    print(
        f"{report.out_dir}: {report.written} clips written, {report.skipped} already there"
        + (f", {len(report.failed)} failed" if report.failed else "")
        + f"; check it with `selftalk data check {report.out_dir}`"
    )
    return 1 if report.failed else 0
