"""``--engine`` and its options, shared by ``selftalk predict`` and ``selftalk animate``."""

from __future__ import annotations

import argparse

ENGINES = ("torch", "onnx")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="torch",
        help="run the model with torch or with ONNX Runtime (default: torch)",
    )
    parser.add_argument(
        "--onnx",
        metavar="MODEL.onnx",
        help="with --engine onnx: a graph from `selftalk export-onnx` "
        "(default: exported once into the cache and reused)",
    )
    parser.add_argument(
        "--threads", type=int, metavar="N", help="CPU threads (default: the engine's choice)"
    )


def make_engine(args: argparse.Namespace, loaded):
    """The engine ``predict_motion`` should use (None: torch), after checking the options."""
    from selftalk.errors import ConfigError

    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"--threads must be at least 1, got {args.threads}")
    if args.engine == "torch":
        if args.onnx:
            raise ConfigError("--onnx needs --engine onnx")
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        return None
    if args.device != "cpu":
        raise ConfigError("--engine onnx runs on the CPU: leave --device at cpu")
    from selftalk.inference.onnx import engine_for

    return engine_for(loaded, args.onnx, threads=args.threads)
