"""``selftalk <verb>``: a thin command line over the library.

Each verb lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``handler`` (``parser.set_defaults(handler=run)``) to a function taking the
parsed arguments; flags shared by several verbs come from :mod:`selftalk.cli.common`.
Modules import torch and the rest of the heavy machinery inside the handler, so
``selftalk --help`` stays instant.

The error contract (docs/errors.md) lives here: every error a user can cause ends as one line,
``selftalk VERB: error: ...``, and exit status 2; Ctrl-C exits with 130 and SIGTERM with 143,
after temporary files and the folders made for the output are removed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

from selftalk import __version__
from selftalk.cli import common
from selftalk.errors import SelfTalkError, Terminated, os_error_message

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


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (and exit status 2), like every other
    error; subcommand parsers inherit the class."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
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
    try:
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None)
        if handler is not None and not getattr(args, "dump_config", False):
            common.check_required(args)  # the required options --dump-config deferred
    except SystemExit as stop:  # --help, --version, or a usage error (already printed)
        return stop.code if isinstance(stop.code, int) else 2
    if handler is None:
        if args.command:  # a verb module that forgot set_defaults(handler=...)
            raise RuntimeError(f"selftalk {args.command} sets no handler")
        parser.print_help()
        return 2
    from selftalk.outputs import guarding

    verb = " ".join(
        str(getattr(args, key))
        for key in ("command", "dataset", "action")
        if getattr(args, key, None)
    )
    restore = _terminate_like_interrupt()
    try:
        with guarding():
            if getattr(args, "dump_config", False):
                print(common.dump_config(args), end="")
                return 0
            return int(handler(args) or 0)
    except SelfTalkError as error:
        return _fail(verb, str(error))
    except OSError as error:  # reading or writing met the OS: a full disk, a read-only folder…
        return _fail(verb, os_error_message(error))
    except MemoryError:
        return _fail(verb, "out of memory (try a shorter input, or a smaller --window)")
    except RecursionError:
        return _fail(verb, "an input is nested too deeply to read")
    except KeyboardInterrupt:
        print(f"selftalk {verb}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"selftalk {verb}: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        restore()


def _fail(verb: str, message: str) -> int:
    message = " ".join(message.split()) or "failed"  # one line, whatever the message held
    if len(message) > 1000:
        message = message[:1000] + " …"
    print(f"selftalk {verb}: error: {message}", file=sys.stderr)
    return 2


_FORK_HOOK = False


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def _terminate_like_interrupt():
    """Turn SIGTERM into :class:`Terminated` in this process (not in processes it forks,
    which keep the default: their parent cleans up). Returns a function that undoes it."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (e.g. main() called from a worker thread)
        return lambda: None
    global _FORK_HOOK
    if not _FORK_HOOK:
        os.register_at_fork(after_in_child=_default_sigterm)
        _FORK_HOOK = True
    return lambda: signal.signal(signal.SIGTERM, previous)


def _default_sigterm() -> None:
    if signal.getsignal(signal.SIGTERM) is _raise_terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


if __name__ == "__main__":
    sys.exit(main())
