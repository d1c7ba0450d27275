"""``selftalk predict``: motion (.npy) for one audio file, from a model or a training run."""

from __future__ import annotations

import argparse

from selftalk.cli.common import add_model_arguments, load_for_args
from selftalk.cli.engine import add_engine_arguments, make_engine

__all__ = ["add_model_arguments", "load_for_args", "register", "run"]  # verbs import these here


def register(subparsers) -> None:
    from selftalk.cli.common import add_output, add_window

    parser = subparsers.add_parser(
        "predict",
        help="predict motion (.npy) for an audio file",
        description="Animate one audio file: writes (frames × vertices × 3) float32 vertices.",
    )
    parser.add_argument("audio", metavar="AUDIO", help="speech in any common format")
    add_model_arguments(parser)
    add_engine_arguments(parser)
    add_output(parser, required=True, metavar="OUT.npy", help="the motion to write")
    add_window(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from selftalk.audio import load_audio
    from selftalk.inference.predict import max_audio_seconds, predict_motion
    from selftalk.io import save_npy
    from selftalk.outputs import check_output_file

    check_output_file(args.output, suffixes=(".npy",), inputs=[args.audio, args.template])
    loaded, subject = load_for_args(args)
    template = loaded.template(subject=subject, mesh_path=args.template)
    longest, why = max_audio_seconds(loaded.model)
    audio = load_audio(args.audio, max_seconds=longest, why=why)
    engine = make_engine(args, loaded)
    motion = predict_motion(
        loaded.model, audio, template, window=args.window, source=args.audio, engine=engine
    )
    save_npy(args.output, motion)
    print(
        f"{args.output}: {motion.shape[0]} frames at {loaded.model.config.fps:g} fps, "
        f"{motion.shape[1]} vertices"
    )
    return 0
