"""``selftalk lipsync AUDIO --text ...``: text-aware procedural lip sync on any speech."""

from __future__ import annotations

import argparse
from pathlib import Path

from selftalk.cli.common import add_output, subject_number
from selftalk.cli.types import fps


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "lipsync",
        help="procedural lip sync from speech and its transcript",
        description="Align the transcript to the audio (pocketsphinx), then animate the bundled "
        "head with the SynthTalk viseme animator. Writes (T, V, 3) float32 vertices. Without a "
        "transcript, --recognize-phones takes the phones a recognizer hears instead.",
    )
    p.add_argument("audio", help="speech audio file (wav, flac, mp3, …)")
    words = p.add_mutually_exclusive_group(required=True)
    words.add_argument("--text", help="what is said (forced alignment)")
    words.add_argument(
        "--recognize-phones",
        action="store_true",
        help="no transcript: recognise phones from the audio alone (see --recognizer)",
    )
    p.add_argument(
        "--recognizer",
        choices=("hama", "pocketsphinx"),
        default="hama",
        help="with --recognize-phones: hama's neural phoneme recognizer (default) or "
        "pocketsphinx's all-phone search (the older, weaker baseline)",
    )
    add_output(p, required=True, metavar="OUT.npy", help="output .npy of (T, V, 3) vertices")
    p.add_argument(
        "--subject",
        default=None,
        metavar="NAME|N",
        help="a synthetic subject (its face and speaking style): its number from 1 or its "
        "name (S03); default: the neutral head",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the subjects and blinks (default 0)"
    )
    p.add_argument("--fps", type=fps, default=30.0, help="frame rate (default 30)")
    p.add_argument(
        "--arkit", default=None, help="also write the ARKit weights (.csv, .json or .npy)"
    )
    p.set_defaults(handler=run)


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
    subject = None if args.subject is None else subject_number(args.subject)
    if args.recognize_phones:
        result = lipsync_without_text(
            args.audio,
            fps=args.fps,
            subject=subject,
            seed=args.seed,
            recognizer=args.recognizer,
        )
    else:
        result = lipsync(args.audio, args.text, fps=args.fps, subject=subject, seed=args.seed)
    from selftalk.io import save_npy

    save_npy(args.output, result.vertices)
    if args.arkit:
        write_weights(args.arkit, result.weights, args.fps)
    print(f"{len(result.vertices)} frames at {args.fps:g} fps → {args.output}")
    return 0
