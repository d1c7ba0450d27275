"""Write pickles as Python 2 wrote them, for fixtures that mimic the VOCASET release.

Python 3 stores ``bytes`` in protocols 0–2 as ``_codecs.encode(text, "latin1")`` and numpy 2
names ``numpy._core``; the release's pickles come from Python 2 (cPickle), where byte strings
are ``STRING``/``BINSTRING`` opcodes, text keys are byte strings too, and numpy arrays are
rebuilt by ``numpy.core.multiarray._reconstruct`` with their raw data as a byte string.
This pickler writes exactly that.
"""

from __future__ import annotations

import io
import pickle
import struct

import numpy as np


class Python2Pickler(pickle._Pickler):  # the pure-Python pickler lets us replace opcodes
    dispatch = pickle._Pickler.dispatch.copy()

    def save_byte_string(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("latin1")
        if self.proto == 0:
            # Python 2's repr of a str, which the STRING opcode holds
            self.write(pickle.STRING + repr(data)[1:].encode("ascii") + b"\n")
        elif len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_byte_string
    dispatch[str] = save_byte_string  # Python 2 ``str`` keys ("lips", "sentence01")

    def save_global(self, obj, name=None):
        module = obj.__module__.replace("numpy._core", "numpy.core")
        if module == "builtins":
            module = "__builtin__"
        name = name or obj.__name__
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[type] = save_global

    def reducer_override(self, obj):
        if isinstance(
            obj, np.dtype
        ):  # Python 2 numpy wrote dtype(str, 0, 1), not (str, False, True)
            cls, args, state = obj.__reduce__()
            return cls, tuple(int(a) if isinstance(a, bool) else a for a in args), state
        return NotImplemented


def dumps(obj, protocol: int = 2) -> bytes:
    buffer = io.BytesIO()
    Python2Pickler(buffer, protocol=protocol).dump(obj)
    return buffer.getvalue()


def dump(obj, path, protocol: int = 2) -> None:
    with open(path, "wb") as f:
        f.write(dumps(obj, protocol))
