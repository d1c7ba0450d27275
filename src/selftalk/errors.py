"""Errors that the command line reports as one clear line, without a traceback."""

from __future__ import annotations

from pathlib import Path


class SelfTalkError(Exception):
    """Base class of every error the user can cause and fix (bad input, bad config)."""


class ConfigError(SelfTalkError, ValueError):
    """A configuration value is missing, unknown or out of range; the message names the field."""


class InputError(SelfTalkError):
    """An input file is missing, unreadable or malformed; the message names the file."""

    def __init__(self, path: str | Path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class StreamError(SelfTalkError, ValueError):
    """A streamed message is malformed (bad chunk, wrong sample format or rate, too large);
    servers answer it with an error status and keep serving everyone else."""
