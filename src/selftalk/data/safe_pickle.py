"""Read the pickles the field ships (templates.pkl, FLAME_masks.pkl, …) without running code.

``pickle.load`` executes whatever callables a file names, so a downloaded ``templates.pkl``
can run arbitrary code. :func:`load_pickle` admits plain data only: dicts, lists, tuples,
sets, strings, numbers, numpy arrays and numpy scalars. Anything else is refused before
it is called, with an error naming the file and the refused object.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from selftalk.errors import InputError

# (module, name) pairs a data pickle may reference. Python 2 pickles (latin-1) and numpy 1.x
# and 2.x module paths are covered.
_ALLOWED = {
    ("builtins", "dict"),
    ("builtins", "list"),
    ("builtins", "tuple"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "bytearray"),
    ("builtins", "complex"),
    ("__builtin__", "set"),
    ("__builtin__", "frozenset"),
    ("__builtin__", "bytearray"),
    ("__builtin__", "complex"),
    ("collections", "OrderedDict"),
    # Python 3 writes bytes in protocol <= 2 as _codecs.encode(text, "latin1").
    ("_codecs", "encode"),
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED |= {(_module, "_reconstruct"), (_module, "scalar")}
for _module in ("numpy.core.numeric", "numpy._core.numeric"):
    _ALLOWED.add((_module, "_frombuffer"))
_ALLOWED |= {("numpy", "ndarray"), ("numpy", "dtype")}


class UnsafePickleError(InputError):
    """The pickle references something that is not plain data; nothing was executed."""


class _DataOnlyUnpickler(pickle.Unpickler):
    def __init__(self, file, path: Path):
        super().__init__(file, encoding="latin1")
        self._path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
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
            return _DataOnlyUnpickler(f, path).load()
    except UnsafePickleError:
        raise
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
        raise InputError(path, f"not a readable pickle ({error})") from None
