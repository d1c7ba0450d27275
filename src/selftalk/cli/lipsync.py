"""``selftalk lipsync AUDIO --text ...``: text-aware procedural lip sync on any speech."""

from __future__ import annotations

import argparse
from pathlib import Path

from selftalk.cli.types import fps, positive_int


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "lipsync",
        help="procedural lip sync from speech and its transcript",
        description="Align the transcript to the audio (pocketsphinx), then animate the bundled "
        "head with the SynthTalk viseme animator. Writes (T, V, 3) float32 vertices. Without a "
        "transcript, --recognize-phones takes pocketsphinx's phone recognition instead.",
    )
    p.add_argument("audio", help="speech audio file (wav, flac, mp3, …)")
    words = p.add_mutually_exclusive_group(required=True)
    words.add_argument("--text", help="what is said (forced alignment)")
    words.add_argument(
        "--recognize-phones",
        action="store_true",
        help="no transcript: recognise phones from the audio alone (a weaker, non-neural baseline)",
    )
    p.add_argument("-o", "--output", required=True, help="output .npy of (T, V, 3) vertices")
    p.add_argument(
        "--subject",
        type=positive_int,
        default=None,
        help="synthetic subject number (its face and speaking style; default: the neutral head)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the subjects and blinks (default 0)"
    )
    p.add_argument("--fps", type=fps, default=30.0, help="frame rate (default 30)")
    p.add_argument(
        "--arkit", default=None, help="also write the ARKit weights (.csv, .json or .npy)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from selftalk.errors import OutputError
    from selftalk.outputs import check_output_file, same_file
    from selftalk.synth.lipsync import (
        WEIGHT_SUFFIXES,
        lipsync,
        lipsync_without_text,
        write_weights,
    )

    check_output_file(args.output, suffixes=(".npy",), inputs=[args.audio])
    if args.arkit:
        check_output_file(args.arkit, suffixes=WEIGHT_SUFFIXES, inputs=[args.audio])
        if Path(args.arkit).absolute() == Path(args.output).absolute() or same_file(
            args.arkit, args.output
        ):
            raise OutputError(args.arkit, "--arkit and -o name the same file")
    if args.recognize_phones:
        result = lipsync_without_text(
            args.audio, fps=args.fps, subject=args.subject, seed=args.seed
        )
    else:
        result = lipsync(args.audio, args.text, fps=args.fps, subject=args.subject, seed=args.seed)
    from selftalk.io import save_npy

    save_npy(args.output, result.vertices)
    if args.arkit:
        write_weights(args.arkit, result.weights, args.fps)
    print(f"{len(result.vertices)} frames at {args.fps:g} fps → {args.output}")
    return 0
