"""Errors that the command line reports as one clear line, without a traceback.

The contract (docs/errors.md): every error a user can cause is a :class:`SelfTalkError` whose
message names the file or option and the problem; ``selftalk`` prints it as
``selftalk VERB: error: MESSAGE`` and exits with status 2.
"""

from __future__ import annotations

import errno
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


class OutputError(InputError):
    """An output cannot be written (it would replace an input, the disk is full, …); nothing
    was left behind. The message names the output."""


class TrainingError(SelfTalkError):
    """Training cannot go on (e.g. the loss became NaN); the checkpoints written so far remain."""


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM, so that ``finally`` blocks
    (temporary files, created folders) run as they do for Ctrl-C."""


# What the user should read for the OS errors a command meets while reading or writing.
_PROBLEMS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "already exists",
    errno.EFBIG: "the file would be too large",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EIO: "input/output error",
    errno.EMFILE: "too many open files",
    errno.ENOMEM: "out of memory",
}


def os_problem(error: OSError) -> str:
    """A short lower-case description of ``error`` (``no space left on the device``)."""
    problem = _PROBLEMS.get(error.errno or -1)
    if problem is None:
        problem = (error.strerror or str(error) or type(error).__name__).strip()
        problem = problem[:1].lower() + problem[1:]
    return problem


def os_error_message(error: OSError) -> str:
    """``PATH: problem`` for an OS error (``PATH -> PATH2`` when it names two files)."""
    problem = os_problem(error)
    if error.filename is None:
        return problem
    where = str(error.filename)
    if error.filename2 is not None:
        where += f" -> {error.filename2}"
    return f"{where}: {problem}"


class StreamError(SelfTalkError, ValueError):
    """A streamed message is malformed (bad chunk, wrong sample format or rate, too large);
    servers answer it with an error status and keep serving everyone else."""
