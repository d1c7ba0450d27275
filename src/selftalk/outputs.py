"""Where a command may write: one guard that every verb runs before it starts work, and that
:func:`selftalk.io.atomic_path` runs again as each file is written.

The rules (docs/errors.md):

- an output never replaces an input of the same command (the same file, also through a
  symbolic or hard link): ``predict in.flac -o in.flac`` is refused before anything runs;
- a file output never replaces a folder, and a folder output never replaces a file;
- an output's type is the one its suffix names: a suffix the command does not write is refused;
- a path the user named (``-o``) is replaced when it holds a file of that type, so re-running a
  command replaces its own result; a path selftalk chose itself (``animate``'s default
  ``AUDIO.mp4``, the ``.wav`` beside a ``.glb``) never replaces a file selftalk did not write,
  unless the user passes ``--force``.

Inputs are registered with :func:`protect` inside a :func:`guarding` block (the command line
opens one around every verb); outside such a block nothing is registered.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path

from selftalk.errors import OutputError

#: What selftalk writes into the metadata of the files it makes where the format has room
#: (MP4 ``comment``, WAV ``software``), so that it can tell its own files from the user's.
MARK = "selftalk"

_inputs: ContextVar[dict[tuple[int, int], Path] | None] = ContextVar(
    "selftalk_protected_inputs", default=None
)


@contextlib.contextmanager
def guarding() -> Iterator[None]:
    """Inside this block, :func:`protect`-ed inputs cannot be replaced by any output."""
    outer = _inputs.get()
    token = _inputs.set(dict(outer or {}))
    try:
        yield
    finally:
        _inputs.reset(token)


def _identity(path: str | Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    return stat.st_dev, stat.st_ino


def protect(*paths: str | Path | None) -> None:
    """Record existing files or folders as inputs of the running command (no-op outside
    :func:`guarding`)."""
    registry = _inputs.get()
    if registry is None:
        return
    for path in paths:
        if path is not None and (key := _identity(path)) is not None:
            registry.setdefault(key, Path(path))


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one existing file or folder (through links too)."""
    key = _identity(a)
    return key is not None and key == _identity(b)


def refuse_input(path: str | Path, inputs: Iterable[str | Path | None] = ()) -> None:
    """Raise :class:`OutputError` when writing ``path`` would replace an input."""
    key = _identity(path)
    if key is None:
        return
    candidates = [Path(p) for p in inputs if p is not None]
    found = next((p for p in candidates if _identity(p) == key), None)
    if found is None:
        found = (_inputs.get() or {}).get(key)
    if found is not None:
        same = "" if os.path.abspath(found) == os.path.abspath(path) else f" ({found})"
        raise OutputError(path, f"is an input of this command{same}: writing it would destroy it")


def existing_ancestor(path: Path) -> Path:
    """The nearest part of ``path`` (itself included) that exists."""
    current = Path(os.path.abspath(path))
    while not os.path.lexists(current) and current != current.parent:
        current = current.parent
    return current


def check_parent(path: Path) -> None:
    """The folder ``path`` goes in is a folder, or can become one."""
    ancestor = existing_ancestor(path.parent)
    if not ancestor.is_dir():
        raise OutputError(path, f"{ancestor} is a file, not a folder")


def check_output_file(
    path: str | Path,
    *,
    suffixes: Iterable[str] | None = None,
    inputs: Iterable[str | Path | None] = (),
    chosen: bool = False,
    force: bool = False,
) -> Path:
    """Check an output file before any work: returns ``path`` or raises :class:`OutputError`.

    Args:
        suffixes: the suffixes (with dot, lower case) the command writes; ``None``: any.
        inputs: the command's input files and folders (also registered with :func:`protect`).
        chosen: selftalk chose this path (the user did not name it): an existing file there
            is replaced only if selftalk wrote it, or with ``force``.
    """
    path = Path(path)
    inputs = [p for p in inputs if p is not None]
    protect(*inputs)
    if suffixes is not None:
        suffixes = tuple(suffixes)
        if path.suffix.lower() not in suffixes:
            kind = f"{path.suffix!r} files" if path.suffix else "files without a suffix"
            raise OutputError(path, f"cannot write {kind}: use {' or '.join(suffixes)}")
    refuse_input(path, inputs)
    if path.is_dir():
        raise OutputError(path, "is a folder: name a file to write")
    check_parent(path)
    if chosen and not force and os.path.lexists(path) and not written_by_selftalk(path):
        raise OutputError(
            path, "exists and was not written by selftalk: name it with -o, or pass --force"
        )
    return path


def files_in(*folders: str | Path | None, suffixes: Iterable[str]) -> list[Path]:
    """The files with ``suffixes`` directly inside input ``folders`` (meta.json, splits,
    reports…): inputs too, for a command that names only the folders it reads."""
    suffixes = tuple(suffixes)
    found = []
    for folder in folders:
        if folder is not None and Path(folder).is_dir():
            found += [
                p for p in Path(folder).iterdir() if p.suffix.lower() in suffixes and p.is_file()
            ]
    return found


def check_output_folder(path: str | Path, *, inputs: Iterable[str | Path | None] = ()) -> Path:
    """Check an output folder before any work: returns ``path`` or raises :class:`OutputError`."""
    path = Path(path)
    inputs = [p for p in inputs if p is not None]
    protect(*inputs)
    refuse_input(path, inputs)
    if os.path.lexists(path) and not path.is_dir():
        raise OutputError(path, "is a file, not a folder")
    check_parent(path)
    return path


def written_by_selftalk(path: str | Path) -> bool:
    """Whether ``path`` carries selftalk's mark (MP4 and WAV files selftalk wrote do)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".mp4":
            import av

            with av.open(str(path)) as container:
                return str(container.metadata.get("comment", "")).startswith(MARK)
        if suffix == ".wav":
            import soundfile

            with soundfile.SoundFile(str(path)) as f:
                return str(f.software or "").startswith(MARK)
    except Exception:  # noqa: BLE001 - unreadable means: not ours
        return False
    return False
