"""``selftalk <verb>``: a thin command line over the library.

Each verb lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``handler`` (``parser.set_defaults(handler=run)``) to a function taking the
parsed arguments; flags shared by several verbs come from :mod:`selftalk.cli.common`.
Modules import torch and the rest of the heavy machinery inside the handler, so
``selftalk --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from selftalk import __version__
from selftalk.cli import common
from selftalk.errors import SelfTalkError

# One entry a verb module, in the order ``selftalk --help`` lists them.
COMMAND_MODULES = [
    "selftalk.cli.animate",
    "selftalk.cli.stream",
    "selftalk.cli.serve",
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
    for verb in subparsers.choices.values():
        if verb.get_default("config_recipe") is not None:
            common.defer_required(verb)  # --dump-config needs no --data, --output…
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        if args.command:  # a verb module that forgot set_defaults(handler=...)
            raise RuntimeError(f"selftalk {args.command} sets no handler")
        parser.print_help()
        return 2
    try:
        if getattr(args, "dump_config", False):
            print(common.dump_config(args), end="")
            return 0
        common.check_required(args)
        return int(handler(args) or 0)
    except SelfTalkError as error:
        print(f"selftalk {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"selftalk {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
