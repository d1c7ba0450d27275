"""``selftalk stream``: speech in as it is spoken, ARKit-52 weights out frame by frame."""

from __future__ import annotations

import argparse

from selftalk.cli.types import positive_float


def register(subparsers) -> None:
    from selftalk.cli.common import add_model_arguments

    parser = subparsers.add_parser(
        "stream",
        help="animate speech as it streams in: ARKit weights per frame, as soon as decided",
        description="Stream speech through the model and write ARKit-52 blendshape weights "
        "(Live Link names) frame by frame, each as soon as it is decided. A latency summary "
        "goes to standard error.",
        epilog="examples:\n"
        "  selftalk stream speech.wav --realtime            # JSON lines on stdout, paced\n"
        "  arecord -f S16_LE -r 16000 -c 1 | selftalk stream - -o -\n"
        "  selftalk stream mic -o take.csv                  # until Ctrl-C; Live Link CSV\n"
        "  selftalk stream talk.wav -o talk.jsonl --lookahead 0.15",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "source",
        metavar="SOURCE",
        help="an audio file; - for raw signed 16-bit little-endian mono PCM on stdin; "
        "mic for the default input device",
    )
    parser.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="OUT",
        help="- (JSON lines on stdout, flushed per frame; default), OUT.jsonl or OUT.csv "
        "(Live Link Face layout), written when the stream ends",
    )
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="play a file at real-time pace (default: as fast as possible)",
    )
    parser.add_argument(
        "--rate", type=int, default=16_000, help="sample rate of - and mic, Hz (16000)"
    )
    parser.add_argument(
        "--chunk", type=float, default=20.0, help="chunk length read at a time, ms (20)"
    )
    parser.add_argument(
        "--seconds",
        type=positive_float,
        help="stop after this much audio (mic: default until Ctrl-C)",
    )
    parser.add_argument("--input-device", help="mic: a sounddevice input device name or index")
    add_model_arguments(parser, streaming=True)
    add_stream_arguments(parser)
    parser.set_defaults(handler=run)


def add_stream_arguments(parser: argparse.ArgumentParser) -> None:
    """--context / --lookahead / --block / --ears-window / --basis, shared by ``stream`` and
    ``serve``."""
    group = parser.add_argument_group("streaming")
    group.add_argument(
        "--lookahead",
        type=float,
        default=0.05,
        help="least seconds of audio after a frame before it is sent (0.05)",
    )
    group.add_argument(
        "--context",
        type=float,
        default=1.0,
        help="seconds of past audio each model pass sees (1.0)",
    )
    group.add_argument(
        "--block", type=float, default=0.1, help="seconds of frames one model pass decides (0.1)"
    )
    group.add_argument(
        "--ears-window",
        nargs=2,
        type=int,
        metavar=("LEFT", "RIGHT"),
        help="phoneme recognizer context frames (20 ms) before and after each block (default: "
        "the model's; the bundled model's 16 0; 32 4 follows the lips better, +80 ms, "
        "half as many streams)",
    )
    group.add_argument(
        "--basis",
        metavar="BASIS.npz",
        help="blendshape basis for the weights (default: the bundled head)",
    )


def stream_settings(args: argparse.Namespace):
    from selftalk.errors import ConfigError
    from selftalk.streaming.pipeline import StreamSettings

    for name in ("lookahead", "context", "block"):
        value = getattr(args, name)
        if not 0 <= value <= 30 or (name == "block" and value == 0):
            raise ConfigError(f"--{name} {value:g} is out of range")
    window = args.ears_window
    if window is not None and not all(0 <= n <= 1000 for n in window):
        raise ConfigError(f"--ears-window {window[0]} {window[1]}: each must be 0-1000 frames")
    return StreamSettings(
        context=args.context,
        lookahead=args.lookahead,
        block=args.block,
        basis=args.basis,
        ears_window=tuple(window) if window else None,
    )


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from selftalk.cli.common import load_for_args
    from selftalk.errors import ConfigError
    from selftalk.streaming.output import FrameWriter, check_output
    from selftalk.streaming.pipeline import StreamFactory, compute_on_one_thread

    check_output(args.output, source=args.source, inputs=[args.basis, args.template])
    if not 0.05 <= args.chunk <= 10_000:
        raise ConfigError(f"--chunk {args.chunk:g} ms is out of range (0.05-10000)")
    if args.seconds is not None and args.seconds <= 0:
        raise ConfigError("--seconds must be positive")
    settings = stream_settings(args)
    chunks, rate = _source(args)
    compute_on_one_thread()
    loaded, subject = load_for_args(args)
    factory = StreamFactory(
        loaded, loaded.template(subject=subject, mesh_path=args.template), settings
    )
    factory.warm_up()
    streamer = factory.streamer(rate=rate)
    start = time.perf_counter()
    interrupted = False
    try:
        with FrameWriter(args.output, fps=factory.fps) as writer:
            try:
                for chunk in chunks:
                    writer.write(streamer.push(chunk))
            except KeyboardInterrupt:  # the way to end a microphone stream: finish cleanly
                interrupted = True
            writer.write(streamer.flush())
    except BrokenPipeError:  # the reader of stdout went away (e.g. `| head`)
        sys.stderr.close()
        return 0
    _summary(streamer, time.perf_counter() - start, interrupted)
    return 0


def _source(args: argparse.Namespace):
    from pathlib import Path

    from selftalk.audio import SAMPLE_RATE
    from selftalk.errors import ConfigError, InputError
    from selftalk.streaming import sources

    chunk = args.chunk / 1000
    if not 4_000 <= args.rate <= 192_000:
        raise ConfigError(f"--rate {args.rate} Hz is out of range (4000-192000)")
    if args.source == "-":
        import sys

        chunks, rate = sources.pcm_chunks(sys.stdin.buffer, rate=args.rate, chunk=chunk), args.rate
    elif args.source == "mic":
        chunks = sources.mic_chunks(rate=args.rate, chunk=chunk, device=_device(args.input_device))
        rate = args.rate
    else:
        if not Path(args.source).is_file():
            raise InputError(
                args.source, "no such audio file (use - for stdin, mic for the microphone)"
            )
        chunks = sources.file_chunks(args.source, chunk=chunk, realtime=args.realtime)
        rate = SAMPLE_RATE
    if args.seconds is not None:
        chunks = _limit(chunks, int(round(args.seconds * rate)))
    return chunks, rate


def _limit(chunks, samples: int):
    for chunk in chunks:
        if samples <= 0:
            return
        yield chunk[:samples]
        samples -= len(chunk)


def _device(name: str | None):
    return int(name) if name is not None and name.isdigit() else name


def _summary(streamer, wall: float, interrupted: bool) -> None:
    import sys

    stats = streamer.stats.summary()
    ms = lambda x: f"{x * 1000:.0f}"
    line = (
        f"selftalk stream: {stats['frames']} frames for {streamer.seconds_in:.2f} s of audio in "
        f"{wall:.2f} s"
    )
    if stats["frames"]:
        line += (
            f"; latency p50 {ms(stats['p50'])} ms, p95 {ms(stats['p95'])} ms, p99 {ms(stats['p99'])} ms"
            f" (look-ahead {ms(streamer.lookahead)} ms)"
        )
    if interrupted:
        line += "; stopped by Ctrl-C"
    print(line, file=sys.stderr)
