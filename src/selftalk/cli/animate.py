"""``selftalk animate``: a talking face from any speech, with the bundled model by default."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from selftalk.cli.common import add_model_arguments, add_output, add_size, add_window
    from selftalk.cli.engine import add_engine_arguments
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
        "  selftalk animate talk.wav --avatar me.vrm -o talking.vrm  # your own character\n"
        "  selftalk animate talk.wav --run runs/voca --subject FaceTalk_170809_00138_TA "
        "-o talk.npy",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("audio", metavar="AUDIO", help="speech: wav, flac, mp3, ogg, m4a, …")
    add_output(parser, help="OUT.mp4 | .npy | .glb | .csv | .json (default: AUDIO's name .mp4)")
    add_model_arguments(parser)
    add_engine_arguments(parser)
    own = parser.add_argument_group("your own character (docs/avatars.md)")
    own.add_argument(
        "--avatar",
        metavar="FILE",
        help="a glTF/VRM avatar (.glb .gltf .vrm) with ARKit-named morph targets or VRM "
        "expressions: -o gets it with a talking animation (and the audio beside it)",
    )
    own.add_argument(
        "--map",
        metavar="FILE",
        help="with --avatar: JSON/YAML naming the avatar's targets for ARKit shapes, "
        "e.g. {jawOpen: MouthOpen, mouthPucker: {Mouth_O: 0.7}}",
    )
    add_size(parser, default="512", help="video size")
    add_window(parser)
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace files selftalk did not write at the paths it chooses "
        "(the default AUDIO.mp4, the .wav beside a .glb or an avatar)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import time

    from selftalk.cli.common import load_for_args
    from selftalk.cli.engine import make_engine
    from selftalk.inference.animate import animate, check_outputs

    start = time.perf_counter()
    if args.avatar or args.map:
        return _run_avatar(args, start)
    check_outputs(
        args.audio, args.output, template=args.template, force=args.force
    )  # before loading anything
    loaded, subject = load_for_args(args)
    result = animate(
        loaded,
        args.audio,
        args.output,
        subject=subject,
        template_path=args.template,
        window=args.window,
        size=args.size,
        force=args.force,
        engine=make_engine(args, loaded),
    )
    print(
        f"{result.path}: {len(result.motion)} frames at {result.fps:g} fps for "
        f"{result.seconds:.1f} s of audio ({time.perf_counter() - start:.1f} s)"
    )
    return 0


def _run_avatar(args: argparse.Namespace, start: float) -> int:
    """``--avatar``: the library's :func:`selftalk.avatar.animate_avatar`, and its report."""
    import time
    from pathlib import Path

    from selftalk.avatar import animate_avatar
    from selftalk.avatar.animate import check_output
    from selftalk.cli.common import load_for_args
    from selftalk.errors import ConfigError

    if not args.avatar:
        raise ConfigError("--map needs --avatar")
    if args.engine != "torch" or args.onnx:
        raise ConfigError("--avatar runs with the torch engine: drop --engine/--onnx")
    avatar = Path(args.avatar)
    output = Path(args.output) if args.output else Path(args.audio).with_suffix(avatar.suffix)
    chosen = args.output is None
    inputs = [args.audio, args.map, args.template]
    check_output(  # before loading anything
        avatar, output, inputs=inputs, audio=args.audio, chosen=chosen, force=args.force
    )
    loaded, subject = load_for_args(args)
    result = animate_avatar(
        loaded,
        args.audio,
        avatar,
        output,
        mapping=args.map,
        subject=subject,
        template_path=args.template,
        window=args.window,
        chosen=chosen,
        force=args.force,
    )
    print("\n".join(result.report()))
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0
