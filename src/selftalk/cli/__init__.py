"""``selftalk <verb>``: a thin command line over the library.

Each verb lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``run`` to a function taking the parsed arguments. Modules import torch and
the rest of the heavy machinery inside ``run``, so ``selftalk --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from selftalk import __version__
from selftalk.errors import SelfTalkError

# One entry a verb module, in the order ``selftalk --help`` lists them.
COMMAND_MODULES = [
    "selftalk.cli.animate",
    "selftalk.cli.prepare",
    "selftalk.cli.data",
    "selftalk.cli.train",
    "selftalk.cli.train_recognizer",
    "selftalk.cli.test",
    "selftalk.cli.predict",
    "selftalk.cli.metrics",
    "selftalk.cli.compare",
    "selftalk.cli.synth",
    "selftalk.cli.lipsync",
    "selftalk.cli.render",
    "selftalk.cli.export",
    "selftalk.cli.export_onnx",
    "selftalk.cli.rig",
    "selftalk.cli.import_official",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="selftalk",
        description="Speech-driven 3D talking faces (SelfTalk, ACM MM 2023).",
    )
    parser.add_argument("--version", action="version", version=f"selftalk {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except SelfTalkError as error:
        print(f"selftalk {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"selftalk {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
