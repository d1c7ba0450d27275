"""Atomic file writing (an output is either complete or absent, never half-written), and
reading of JSON and ``.npy`` inputs with one-line errors.

Every writer here goes through :func:`atomic_path`, which also enforces the output rules of
:mod:`selftalk.outputs` (never replace an input, never replace a folder) and turns the OS errors
of writing (full disk, read-only file system, …) into an :class:`OutputError` naming the output.
Folders it had to create are removed again when the write fails.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from selftalk.checks import all_finite
from selftalk.errors import InputError, OutputError, os_problem
from selftalk.outputs import check_parent, refuse_input

# OS errors that are about the output whatever file they name.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def make_folders(path: str | Path) -> list[Path]:
    """Create folder ``path`` and its missing parents; return those created, outermost first."""
    path = Path(path)
    check_parent(path / "_")
    missing = []
    current = Path(os.path.abspath(path))
    while not current.is_dir():
        missing.append(current)
        current = current.parent
    created: list[Path] = []
    try:
        for folder in reversed(missing):
            # recorded before it exists: a signal landing just after mkdir still removes it
            created.append(folder)
            try:
                folder.mkdir()
            except FileExistsError:
                created.pop()
                if not folder.is_dir():
                    raise
    except OSError as error:
        remove_empty_folders(created)
        raise OutputError(path, os_problem(error)) from None
    except BaseException:
        remove_empty_folders(created)
        raise
    return created


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove ``folders`` (outermost first, as :func:`make_folders` returns them) while empty."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except FileNotFoundError:
            continue  # never made (interrupted first) or already removed
        except OSError:
            return  # not empty (someone wrote there): keep it and the folders around it


@contextlib.contextmanager
def output_folder(path: str | Path) -> Iterator[Path]:
    """Create folder ``path`` for the block; if the block fails, remove the folders it created
    that are still empty."""
    created = make_folders(path)
    try:
        yield Path(path)
    except BaseException:
        remove_empty_folders(created)
        raise


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds.

    The temporary file keeps the final suffix, so libraries that pick a format from the
    suffix (PyAV, numpy, soundfile) behave as they would on the real path. A ``path`` that is
    an input of the running command or a folder is refused before anything is written.
    """
    path = Path(path)
    refuse_input(path)
    if path.is_dir():
        raise OutputError(path, "is a folder, not a file")
    with output_folder(path.parent):
        # The name is chosen before the file exists, and the file is made inside the try: a
        # signal landing just after the creation still removes it.
        tmp_path: Path | None = (
            path.parent / f".{path.stem}.{secrets.token_hex(8)}.tmp{path.suffix}"
        )
        try:
            try:  # exclusive; 0o666 with the umask applied, the usual mode of an output
                os.close(os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            except FileExistsError:
                tmp_path = None  # someone else's file (64 random bits: practically never)
                raise OutputError(path, "its temporary name is in use; try again") from None
            yield tmp_path
            os.replace(tmp_path, path)
        except OSError as error:
            if _about_output(error, tmp_path, path):
                raise OutputError(path, os_problem(error)) from None
            raise
        finally:
            if tmp_path is not None:
                with contextlib.suppress(OSError):
                    tmp_path.unlink(missing_ok=True)


def _about_output(error: OSError, tmp: Path, path: Path) -> bool:
    if error.errno in _WRITE_ERRNOS:
        return True
    names = {str(n) for n in (error.filename, error.filename2) if n is not None}
    return not names or bool(names & {str(tmp), str(path), os.fspath(tmp)})


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def read_json(path: str | Path, *, missing: str = "no such file") -> Any:
    """Parse a JSON file; a missing, unreadable or malformed one is an :class:`InputError`."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, missing) from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise InputError(path, f"not valid JSON ({_first_line(error)})") from None
    except OSError as error:
        raise InputError(path, os_problem(error)) from None


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def load_npy(path: str | Path, *, what: str = "array", mmap: bool = False) -> np.ndarray:
    """Read a ``.npy`` array without trusting its header: returns it in memory (or
    memory-mapped with ``mmap``). Pickled objects, a header that claims more data than the
    file holds, an empty or truncated file: each is an :class:`InputError` naming the file."""
    path = Path(path)
    if path.is_dir():
        raise InputError(path, f"is a folder, not a .npy {what} file")
    if not path.is_file():
        raise InputError(path, f"no such {what} file")
    try:
        if path.stat().st_size == 0:
            raise InputError(path, f"the {what} file is empty (0 bytes)")
        # memory-mapping checks the header against the file size before anything is allocated
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except InputError:
        raise
    except OSError as error:
        raise InputError(path, os_problem(error)) from None
    except Exception as error:  # noqa: BLE001 - bad magic, header, dtype, size: all 'not .npy'
        raise InputError(path, f"not a readable .npy {what} ({_first_line(error)})") from None
    if not isinstance(array, np.ndarray):
        raise InputError(path, f"is an .npz archive, not a .npy {what}")
    return array if mmap else np.array(array)


def save_npy(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` to ``.npy`` atomically; NaN or infinite values are refused."""
    array = np.asarray(array)
    _refuse_non_finite(path, array)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.save(f, array, allow_pickle=False)


def save_npz(path: str | Path, **arrays: np.ndarray) -> None:
    """Write named arrays to ``.npz`` atomically; NaN or infinite values are refused."""
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    for array in arrays.values():
        _refuse_non_finite(path, array)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def _refuse_non_finite(path: str | Path, array: np.ndarray) -> None:
    if not all_finite(array):
        raise OutputError(path, "the result contains NaN or infinite values; nothing was written")


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]
