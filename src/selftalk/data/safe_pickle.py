"""Read the pickles the field ships (templates.pkl, FLAME_masks.pkl, …) without running code
and without letting a small file claim a large amount of memory.

``pickle.load`` executes whatever callables a file names, so a downloaded ``templates.pkl``
can run arbitrary code. :func:`load_pickle` admits plain data only: dicts, lists, tuples,
sets, strings, bytes, numbers, numpy arrays and numpy scalars. Anything else is refused before
it is called, with an error naming the file and the refused object.

Even allowed callables can be told to allocate: a 56-byte pickle may call
``bytearray(64 GiB)`` or build a numpy array of any shape. Every call therefore charges what it
would allocate to a budget proportional to the file's size (a pickle holds its data, so real
files stay far below it), and a call over budget is refused before it runs.
"""

from __future__ import annotations

import collections
import math
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from selftalk.errors import InputError

_LATIN1 = {"latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1"}
_NUMPY_CORE = ("numpy.core.multiarray", "numpy._core.multiarray")
_NUMPY_NUMERIC = ("numpy.core.numeric", "numpy._core.numeric")


def budget_for(file_size: int) -> int:
    """Bytes a pickle of ``file_size`` bytes may allocate through calls: 8x its size + 64 MiB
    (a container of references takes 8 bytes an element, its pickle 1 to 2 bytes)."""
    return 8 * file_size + (64 << 20)


class UnsafePickleError(InputError):
    """The pickle references something that is not plain data; nothing was executed."""


class _OverBudget(Exception):
    def __init__(self, what: str, size: int):
        super().__init__(what, size)
        self.what, self.size = what, size


class _Budget:
    def __init__(self, limit: int):
        self.left = limit

    def charge(self, size: int, what: str) -> None:
        self.left -= size
        if self.left < 0:
            raise _OverBudget(what, size)


def _nbytes(shape: Any, dtype: Any) -> int:
    """Bytes of an array of ``shape`` and ``dtype``, in Python integers (no overflow)."""
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in dims):
        raise ValueError(f"bad array shape {shape!r}")
    return math.prod(int(d) for d in dims) * np.dtype(dtype).itemsize


def _callables(budget: _Budget) -> dict[tuple[str, str], Any]:
    """The allowed (module, name) pairs, each bound to a version that charges the budget."""

    def container(kind, name):
        def build(*args):
            result = kind(*args)
            budget.charge(8 * len(result), name)
            return result

        return build

    def byte_string(kind, name):
        def build(*args):
            if args and isinstance(args[0], int):  # bytes(n) / bytearray(n): n zero bytes
                budget.charge(args[0], name)
            result = kind(*args)
            budget.charge(len(result), name)
            return result

        return build

    def encode(text, encoding="utf-8", errors="strict"):
        # Python 3 writes bytes in protocol <= 2 as _codecs.encode(text, "latin1")
        if not isinstance(text, str) or str(encoding).lower() not in _LATIN1:
            raise pickle.UnpicklingError("_codecs.encode is only accepted for latin-1 text")
        budget.charge(len(text), "bytes")
        return text.encode("latin-1", errors)

    def reconstruct(subtype, shape, dtype):
        budget.charge(_nbytes(shape, dtype), "numpy array")
        return np.ndarray.__new__(np.ndarray, shape, dtype)

    class ndarray:  # noqa: N801 - stands for numpy.ndarray when a pickle calls it directly
        def __new__(cls, shape=(), dtype=float, *args, **kwargs):
            return reconstruct(np.ndarray, shape, dtype)

    def frombuffer(buffer, dtype, shape, order):
        budget.charge(_nbytes(shape, dtype), "numpy array")
        return np.frombuffer(buffer, dtype).reshape(shape, order=order).copy()

    allowed: dict[tuple[str, str], Any] = {("numpy", "dtype"): np.dtype}
    for module in ("builtins", "__builtin__"):
        for name, kind in (("set", set), ("frozenset", frozenset), ("tuple", tuple)):
            allowed[module, name] = container(kind, name)
        for name, kind in (("list", list), ("dict", dict)):
            allowed[module, name] = container(kind, name)
        for name, kind in (("bytes", bytes), ("bytearray", bytearray)):
            allowed[module, name] = byte_string(kind, name)
        allowed[module, "complex"] = complex
    allowed["collections", "OrderedDict"] = container(collections.OrderedDict, "OrderedDict")
    allowed["_codecs", "encode"] = encode
    allowed["numpy", "ndarray"] = ndarray
    for module in _NUMPY_CORE:
        allowed[module, "_reconstruct"] = reconstruct
        allowed[module, "scalar"] = None  # resolved as pickle would: it allocates nothing
    for module in _NUMPY_NUMERIC:
        allowed[module, "_frombuffer"] = frombuffer
    return allowed


class _DataOnlyUnpickler(pickle.Unpickler):
    def __init__(self, file, path: Path, budget: _Budget):
        super().__init__(file, encoding="latin1")
        self._path = path
        self._allowed = _callables(budget)

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._allowed:
            found = self._allowed[module, name]
            return super().find_class(module, name) if found is None else found
        raise UnsafePickleError(
            self._path,
            f"refused to load: the pickle references {module}.{name}, which is not plain data "
            "(only dicts, lists, tuples, numbers, strings and numpy arrays are accepted)",
        )


def load_pickle(path: str | Path) -> Any:
    """Load a data-only pickle (protocols 0-5, Python 2 or 3) from ``path``."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = max(path.stat().st_size, 1)
            return _DataOnlyUnpickler(f, path, _Budget(budget_for(size))).load()
    except UnsafePickleError:
        raise
    except _OverBudget as error:
        raise InputError(
            path,
            f"refused to load: the pickle asks for a {error.what} of {error.size:,} bytes, "
            f"more than a {size:,}-byte file can hold",
        ) from None
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a pickle file") from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        OverflowError,
        UnicodeDecodeError,
        MemoryError,
        RecursionError,
    ) as error:
        text = (
            str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        )
        raise InputError(path, f"not a readable pickle ({text})") from None
