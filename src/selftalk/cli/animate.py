"""``selftalk animate``: a talking face from any speech, with the bundled model by default."""

from __future__ import annotations

import argparse

from selftalk.cli.types import positive_float, video_side


def register(subparsers) -> None:
    from selftalk.cli.predict import add_model_arguments
    from selftalk.inference.formats import OUTPUTS

    kinds = "\n".join(f"  {suffix:6} {what}" for suffix, what in OUTPUTS.items())
    parser = subparsers.add_parser(
        "animate",
        help="animate a face from speech (bundled model by default)",
        description="Animate a face from speech in any common format, of any length, offline. "
        "The output type follows the suffix of -o:\n" + kinds,
        epilog="examples:\n"
        "  selftalk animate speech.wav                 # → speech.mp4\n"
        "  selftalk animate talk.m4a -o talk.glb       # for three.js / Blender\n"
        "  selftalk animate talk.mp3 -o talk.csv       # ARKit curves (Live Link Face)\n"
        "  selftalk animate talk.wav --run runs/voca --subject FaceTalk_170809_00138_TA "
        "-o talk.npy",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("audio", metavar="AUDIO", help="speech: wav, flac, mp3, ogg, m4a, …")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="OUT.mp4 | .npy | .glb | .csv | .json (default: AUDIO's name .mp4)",
    )
    add_model_arguments(parser)
    parser.add_argument("--size", type=video_side, default=512, help="video width and height (512)")
    parser.add_argument(
        "--window",
        type=positive_float,
        default=20.0,
        help="seconds of audio per model pass; longer audio is cross-faded (20)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace files selftalk did not write at the paths it chooses "
        "(the default AUDIO.mp4, the .wav beside a .glb)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import time

    from selftalk.inference.animate import animate, check_outputs
    from selftalk.inference.loading import load_model

    start = time.perf_counter()
    check_outputs(
        args.audio, args.output, template=args.template, force=args.force
    )  # before loading anything
    loaded = load_model(
        model_dir=args.model, run_dir=args.run_dir, checkpoint=args.checkpoint, device=args.device
    )
    result = animate(
        loaded,
        args.audio,
        args.output,
        subject=args.subject,
        template_path=args.template,
        window=args.window,
        size=args.size,
        force=args.force,
    )
    print(
        f"{result.path}: {len(result.motion)} frames at {result.fps:g} fps for "
        f"{result.seconds:.1f} s of audio ({time.perf_counter() - start:.1f} s)"
    )
    return 0
