"""``--engine`` and its options, shared by ``selftalk predict`` and ``selftalk animate``."""

from __future__ import annotations

import argparse

ENGINES = ("torch", "torch-compile", "torch-bf16", "torch-int8", "onnx", "onnx-int8")
"""What ``--engine`` accepts; see :mod:`selftalk.inference.speed` and docs/deploy.md."""


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="torch",
        help="how to run the model: torch (float32, default), torch-compile, onnx (ONNX "
        "Runtime); torch-bf16, torch-int8 and onnx-int8 are faster but less exact "
        "(docs/deploy.md)",
    )
    parser.add_argument(
        "--onnx",
        metavar="MODEL.onnx",
        help="with --engine onnx*: a graph from `selftalk export-onnx` "
        "(default: exported once into the cache and reused)",
    )
    parser.add_argument(
        "--threads", type=int, metavar="N", help="CPU threads (default: the engine's choice)"
    )


def make_engine(args: argparse.Namespace, loaded):
    """The engine ``predict_motion`` should use (None: plain torch), after checking options."""
    from selftalk.errors import ConfigError

    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"--threads must be at least 1, got {args.threads}")
    if args.onnx and not args.engine.startswith("onnx"):
        raise ConfigError("--onnx needs --engine onnx or onnx-int8")
    if args.engine == "torch":
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        return None
    if loaded.model.animator.hears_phonemes:
        raise ConfigError(f"--engine {args.engine}: a model that hears phonemes runs with torch")
    if args.device != "cpu":
        raise ConfigError(f"--engine {args.engine} runs on the CPU: leave --device at cpu")
    from selftalk.inference.speed import make_engine as build

    return build(args.engine, loaded, onnx_path=args.onnx, threads=args.threads)
