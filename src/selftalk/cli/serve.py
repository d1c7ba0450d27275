"""``selftalk serve``: a local server: HTTP uploads, a live browser demo over WebSocket, and
NVIDIA Audio2Face-3D's streaming gRPC protocol."""

from __future__ import annotations

import argparse

from selftalk.cli.types import non_negative_float, non_negative_int, positive_float, positive_int


def register(subparsers) -> None:
    from selftalk.cli.common import add_model_arguments
    from selftalk.cli.stream import add_stream_arguments

    parser = subparsers.add_parser(
        "serve",
        help="serve streams: HTTP + WebSocket (live browser demo) and Audio2Face-3D gRPC",
        description="One local server process. HTTP: POST /animate (audio in; .glb, .mp4, "
        ".csv or .json out), GET /health, the live page at /, WebSocket /stream (PCM in, ARKit "
        "frames out). gRPC: NVIDIA Audio2Face-3D's A2FControllerService/ProcessAudioStream.",
        epilog="examples:\n"
        "  selftalk serve                                   # http://127.0.0.1:8000, gRPC :52000\n"
        "  selftalk serve --no-grpc --http-port 8080\n"
        "  selftalk serve --host 0.0.0.0 --max-streams 4    # reachable from other machines",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--http-port", type=int, default=8000, help="HTTP port (8000; 0: any free port)"
    )
    parser.add_argument(
        "--grpc-port", type=int, default=52000, help="gRPC port (52000; 0: any free port)"
    )
    parser.add_argument("--no-http", action="store_true", help="serve gRPC only")
    parser.add_argument("--no-grpc", action="store_true", help="serve HTTP only")
    parser.add_argument(
        "--max-streams", type=positive_int, default=8, help="streams served at once (8)"
    )
    parser.add_argument(
        "--workers", type=non_negative_int, default=0, help="inference threads (0: one a core)"
    )
    parser.add_argument(
        "--max-upload-mb", type=positive_float, default=64.0, help="largest upload (64)"
    )
    parser.add_argument(
        "--grace",
        type=non_negative_float,
        default=5.0,
        help="seconds running streams get at shutdown (5)",
    )
    parser.add_argument(
        "--web", metavar="DIR", help="the built page (default: web/dist of a source checkout)"
    )
    add_model_arguments(parser, streaming=True)
    add_stream_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    from pathlib import Path

    from selftalk.cli.stream import stream_settings
    from selftalk.errors import ConfigError, InputError

    if args.no_http and args.no_grpc:
        raise ConfigError("--no-http and --no-grpc together leave nothing to serve")
    for name in ("http_port", "grpc_port"):
        if not 0 <= getattr(args, name) <= 65535:
            raise ConfigError(
                f"--{name.replace('_', '-')} {getattr(args, name)} is not a port number"
            )
    if args.max_streams < 1 or args.workers < 0 or args.max_upload_mb <= 0 or args.grace < 0:
        raise ConfigError(
            "--max-streams must be at least 1; --workers, --max-upload-mb and --grace non-negative"
        )
    web_dir = Path(args.web) if args.web else None
    if web_dir is not None and not (web_dir / "live.html").is_file():
        raise InputError(web_dir, "has no live.html (build the page: cd web && npm run build)")
    settings = stream_settings(args)
    # the server's own messages at INFO; other libraries (torch, aiohttp) only from WARNING
    logging.basicConfig(level=logging.WARNING, format="selftalk serve: %(message)s")
    logging.getLogger("selftalk.serve").setLevel(logging.INFO)

    from selftalk.cli.common import load_for_args
    from selftalk.inference.loading import load_model
    from selftalk.serve.engine import Engine, EngineLimits
    from selftalk.serve.http import default_web_dir
    from selftalk.serve.server import ServeOptions, announce, serve
    from selftalk.streaming.pipeline import StreamFactory, compute_on_one_thread

    compute_on_one_thread()  # parallelism comes from streams running in the worker threads
    loaded, subject = load_for_args(args)
    factory = StreamFactory(
        loaded, loaded.template(subject=subject, mesh_path=args.template), settings
    )
    factory.warm_up()
    files = None  # uploads (HTTP only): what `selftalk animate` makes, so the bundled model
    if args.model is None and args.run is None and not args.no_http:
        offline = load_model(device=args.device)
        files = (offline, offline.template(subject=subject, mesh_path=args.template))
    options = ServeOptions(
        host=args.host,
        http_port=None if args.no_http else args.http_port,
        grpc_port=None if args.no_grpc else args.grpc_port,
        web_dir=web_dir or default_web_dir(),
        grace=args.grace,
        max_upload_mb=args.max_upload_mb,
    )
    limits = EngineLimits(max_streams=args.max_streams, workers=args.workers)

    async def main() -> None:
        engine = Engine(factory, limits, files)
        await serve(engine, options, ready=announce)

    try:
        asyncio.run(main())
    except OSError as error:  # a port in use, an address we cannot bind
        raise ConfigError(f"cannot listen: {error}") from None
    print("selftalk serve: stopped", flush=True)
    return 0
