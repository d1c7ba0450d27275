"""Read and write glTF 2.0 files (``.glb``, ``.vrm``, ``.gltf``) as they are: the JSON document as
a plain dict and the buffers as bytes, checked against the file before anything is allocated.

Why not pygltflib here (it writes selftalk's own ``.glb``): editing a user's file must leave
every part we do not touch as it was, and a round trip through pygltflib's dataclasses rewrites
the document (unknown properties and extension layouts are re-serialised). A dict keeps every
key; new data is appended after the existing buffer bytes, which are never rewritten.

Memory stays bounded by the file: every declared length (GLB header, chunks, buffers, views,
accessors) is checked against the bytes actually present before it is used.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from selftalk.errors import InputError
from selftalk.io import write_bytes

GLB_MAGIC, JSON_CHUNK, BIN_CHUNK = 0x46546C67, 0x4E4F534A, 0x004E4942
BINARY_SUFFIXES = (".glb", ".vrm")
SUFFIXES = (*BINARY_SUFFIXES, ".gltf")
COMPONENTS = {  # componentType -> numpy dtype
    5120: np.int8,
    5121: np.uint8,
    5122: np.int16,
    5123: np.uint16,
    5125: np.uint32,
    5126: np.float32,
}
WIDTHS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
MAX_EXTERNAL_BYTES = 4 << 30  # an external .bin larger than this is refused, not read


@dataclass
class GltfFile:
    """A glTF document and its buffers.

    Attributes:
        path: where it was read from.
        doc: the JSON document (a dict, edited in place by writers).
        buffers: the bytes of each buffer, ``len(buffers) == len(doc["buffers"])``.
        binary: True for the GLB container (``.glb``/``.vrm``).
        glb_bin: True when ``buffers[0]`` is the GLB's BIN chunk (no ``uri``).
    """

    path: Path
    doc: dict
    buffers: list[bytes]
    binary: bool
    glb_bin: bool = False
    appended: list[bytes] = field(default_factory=list)

    def error(self, problem: str) -> InputError:
        return InputError(self.path, problem)

    def items(self, key: str) -> list:
        """``doc[key]`` as a list (empty when absent); a non-list is a malformed file."""
        value = self.doc.get(key, [])
        if not isinstance(value, list):
            raise self.error(f"malformed glTF: {key!r} is not a list")
        return value

    def item(self, key: str, index: Any) -> dict:
        """``doc[key][index]``, checked."""
        items = self.items(key)
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(items):
            raise self.error(f"malformed glTF: {key} index {index!r} out of range")
        value = items[index]
        if not isinstance(value, dict):
            raise self.error(f"malformed glTF: {key}[{index}] is not an object")
        return value

    # ------------------------------------------------------------------ reading data
    def view_bytes(self, index: int) -> tuple[memoryview, int]:
        """(the bytes of buffer view ``index``, its byteStride or 0)."""
        view = self.item("bufferViews", index)
        buffer = view.get("buffer")
        if not isinstance(buffer, int) or not 0 <= buffer < len(self.buffers):
            raise self.error(f"malformed glTF: bufferViews[{index}] names no buffer")
        offset, length = _int(self, view, "byteOffset", 0), _int(self, view, "byteLength")
        data = self.buffers[buffer]
        if offset + length > len(data):
            raise self.error(
                f"bufferViews[{index}] ends at byte {offset + length}, past the end of "
                f"buffer {buffer} ({len(data)} bytes)"
            )
        return memoryview(data)[offset : offset + length], _int(self, view, "byteStride", 0)

    def accessor(self, index: int) -> np.ndarray:
        """Accessor ``index`` decoded (count, width) as float32 (normalized ints scaled),
        sparse substitution applied."""
        acc = self.item("accessors", index)
        kind, component = acc.get("type"), acc.get("componentType")
        if kind not in WIDTHS or component not in COMPONENTS:
            raise self.error(f"accessors[{index}]: unknown type {kind!r}/{component!r}")
        count, width, dtype = (
            _int(self, acc, "count"),
            WIDTHS[kind],
            np.dtype(COMPONENTS[component]),
        )
        if "bufferView" in acc:
            data, stride = self.view_bytes(acc["bufferView"])
            offset, item = _int(self, acc, "byteOffset", 0), width * dtype.itemsize
            stride = stride or item
            needed = offset + (count - 1) * stride + item if count else 0
            if needed > len(data):
                raise self.error(
                    f"accessors[{index}] needs {needed} bytes but its view has {len(data)}"
                )
            raw = np.lib.stride_tricks.as_strided(
                np.frombuffer(data, np.uint8, count=needed, offset=0)[offset:],
                shape=(count, item),
                strides=(stride, 1),
            )
            values = np.ascontiguousarray(raw).view(dtype).reshape(count, width)
        else:  # all zeros (plus sparse values): bounded by what the buffers could describe
            if count * width * 4 > 4 * sum(map(len, self.buffers)) + (64 << 20):
                raise self.error(f"accessors[{index}] declares {count} elements, absurd here")
            values = np.zeros((count, width), dtype)
        values = values.astype(np.float32)
        if acc.get("normalized") and dtype.kind in "iu":
            values /= float(np.iinfo(dtype).max)
            values = np.maximum(values, -1.0)
        sparse = acc.get("sparse")
        if isinstance(sparse, dict):
            values = values.copy()
            n = _int(self, sparse, "count")
            if n > count:
                raise self.error(f"accessors[{index}]: more sparse values than elements")
            idx = self._sparse_part(sparse.get("indices"), n, 1, index, kind_ok="u")
            val = self._sparse_part(sparse.get("values"), n, width, index, dtype=dtype)
            if len(idx) and idx.max() >= count:
                raise self.error(f"accessors[{index}]: a sparse index is out of range")
            values[idx.astype(np.int64).reshape(-1)] = val
        return values

    def _sparse_part(self, part, n, width, index, *, dtype=None, kind_ok=None):
        if not isinstance(part, dict):
            raise self.error(f"accessors[{index}]: malformed sparse accessor")
        dtype = np.dtype(
            COMPONENTS.get(part.get("componentType"), np.float32) if dtype is None else dtype
        )
        if kind_ok and dtype.kind not in kind_ok:
            raise self.error(f"accessors[{index}]: sparse indices must be unsigned integers")
        data, _ = self.view_bytes(part.get("bufferView"))
        offset, size = _int(self, part, "byteOffset", 0), n * width * dtype.itemsize
        if offset + size > len(data):
            raise self.error(f"accessors[{index}]: sparse data past the end of its view")
        return np.frombuffer(data, dtype, count=n * width, offset=offset).reshape(n, width)

    # ------------------------------------------------------------------ appending data
    def append_accessor(
        self, array: np.ndarray, *, kind: str, bounds: bool = False, target: int | None = None
    ) -> int:
        """Append float32/uint ``array`` as new data, a new buffer view and a new accessor."""
        array = np.ascontiguousarray(array)
        component = {np.dtype(v): k for k, v in COMPONENTS.items()}[array.dtype]
        width = WIDTHS[kind]
        flat = array.reshape(-1, width)
        view = {"buffer": self._new_buffer_index(), "byteOffset": self._append(array.tobytes())}
        view["byteLength"] = array.nbytes
        if target is not None:
            view["target"] = target
        self.doc.setdefault("bufferViews", []).append(view)
        accessor = {
            "bufferView": len(self.doc["bufferViews"]) - 1,
            "componentType": component,
            "count": len(flat),
            "type": kind,
        }
        if bounds:
            accessor["min"] = [float(x) for x in flat.min(axis=0)]
            accessor["max"] = [float(x) for x in flat.max(axis=0)]
        self.doc.setdefault("accessors", []).append(accessor)
        return len(self.doc["accessors"]) - 1

    def _new_buffer_index(self) -> int:
        """The buffer new data goes to: the GLB BIN chunk when there is one, else one new
        buffer (added on first use) that is written as a data: URI or as the BIN chunk."""
        if self.glb_bin:
            return 0
        if not self.appended:
            self.doc.setdefault("buffers", []).append({"byteLength": 0})
            self.buffers.append(b"")
            self.appended.append(b"")
        return len(self.buffers) - 1

    def _append(self, data: bytes) -> int:
        index = self._new_buffer_index()
        current = self.buffers[index]
        pad = -len(current) % 4  # 4-byte alignment for float32 views
        offset = len(current) + pad
        self.buffers[index] = current + b"\0" * pad + data
        self.doc["buffers"][index]["byteLength"] = len(self.buffers[index])
        return offset

    # ------------------------------------------------------------------ writing
    def to_bytes(self, suffix: str) -> bytes:
        """The file as ``suffix`` (``.glb``/``.vrm``: GLB container; ``.gltf``: JSON)."""
        doc = self.doc
        extra = None if self.glb_bin or not self.appended else len(self.buffers) - 1
        if suffix.lower() in BINARY_SUFFIXES:
            bin_chunk = self.buffers[0] if self.glb_bin else b""
            if extra is not None:
                doc = _with_data_uri(doc, extra, self.buffers[extra])
            return _glb(doc, bin_chunk if self.glb_bin else None)
        if self.glb_bin:
            doc = _with_data_uri(doc, 0, self.buffers[0])
        if extra is not None:
            doc = _with_data_uri(doc, extra, self.buffers[extra])
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def write(self, path: str | Path) -> None:
        path = Path(path)
        write_bytes(path, self.to_bytes(path.suffix))


def _int(gltf: GltfFile, obj: dict, key: str, default: int | None = None) -> int:
    value = obj.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise gltf.error(f"malformed glTF: {key} = {value!r}")
    return value


def _with_data_uri(doc: dict, index: int, data: bytes) -> dict:
    doc = dict(doc)
    doc["buffers"] = [dict(b) for b in doc["buffers"]]
    encoded = base64.b64encode(data).decode("ascii")
    doc["buffers"][index]["uri"] = f"data:application/octet-stream;base64,{encoded}"
    return doc


def _glb(doc: dict, bin_chunk: bytes | None) -> bytes:
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)
    parts = [struct.pack("<II", len(text), JSON_CHUNK), text]
    if bin_chunk is not None:
        padded = bin_chunk + b"\0" * (-len(bin_chunk) % 4)
        parts += [struct.pack("<II", len(padded), BIN_CHUNK), padded]
    body = b"".join(parts)
    return struct.pack("<III", GLB_MAGIC, 2, 12 + len(body)) + body


def read_gltf(path: str | Path) -> GltfFile:
    """Read a ``.glb``/``.vrm`` (GLB container) or ``.gltf`` (JSON) file with its buffers."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such glTF/VRM file")
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(path, f"not a glTF file (use {', '.join(SUFFIXES)})")
    data = path.read_bytes()
    binary = data[:4] == b"glTF"
    bin_chunk = None
    if binary:
        text, bin_chunk = _split_glb(path, data)
    else:
        text = data
    try:
        doc = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"broken glTF JSON ({error})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("asset"), dict):
        raise InputError(path, "not a glTF document (no 'asset' object)")
    version = str(doc["asset"].get("version", ""))
    if not version.startswith("2."):
        raise InputError(path, f"glTF version {version!r} is not supported (2.0 only)")
    gltf = GltfFile(path=path, doc=doc, buffers=[], binary=binary)
    for i, buffer in enumerate(gltf.items("buffers")):
        gltf.buffers.append(_buffer_bytes(gltf, i, buffer, bin_chunk))
    return gltf


def _split_glb(path: Path, data: bytes) -> tuple[bytes, bytes | None]:
    if len(data) < 20:
        raise InputError(path, "truncated GLB header")
    magic, version, length = struct.unpack_from("<III", data, 0)
    if version != 2:
        raise InputError(path, f"GLB version {version} is not supported (2 only)")
    if length > len(data):
        raise InputError(path, f"GLB header declares {length} bytes but the file has {len(data)}")
    chunks, offset = [], 12
    while offset + 8 <= length:
        size, kind = struct.unpack_from("<II", data, offset)
        if offset + 8 + size > length:
            raise InputError(
                path, f"a GLB chunk declares {size} bytes, past the end of the file ({length})"
            )
        chunks.append((kind, data[offset + 8 : offset + 8 + size]))
        offset += 8 + size
    if not chunks or chunks[0][0] != JSON_CHUNK:
        raise InputError(path, "the GLB's first chunk is not JSON")
    bins = [chunk for kind, chunk in chunks[1:] if kind == BIN_CHUNK]
    return chunks[0][1], (bins[0] if bins else None)


def _buffer_bytes(gltf: GltfFile, index: int, buffer: Any, bin_chunk: bytes | None) -> bytes:
    if not isinstance(buffer, dict):
        raise gltf.error(f"malformed glTF: buffers[{index}] is not an object")
    length = _int(gltf, buffer, "byteLength")
    uri = buffer.get("uri")
    if uri is None:
        if index != 0 or bin_chunk is None:
            raise gltf.error(f"buffers[{index}] has no uri and the file no BIN chunk")
        gltf.glb_bin = True
        data = bin_chunk
    elif not isinstance(uri, str):
        raise gltf.error(f"malformed glTF: buffers[{index}].uri is not a string")
    elif uri.startswith("data:"):
        head, _, payload = uri.partition(",")
        if not head.endswith(";base64"):
            raise gltf.error(f"buffers[{index}]: only base64 data URIs are supported")
        if len(payload) * 3 // 4 < length:
            raise gltf.error(f"buffers[{index}] declares {length} bytes, more than its data URI")
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise gltf.error(f"buffers[{index}]: broken base64 data URI") from None
    else:
        from urllib.parse import unquote

        file = (gltf.path.parent / unquote(uri)).resolve()
        if not file.is_file():
            raise gltf.error(f"buffers[{index}]: no file {uri!r} beside it")
        size = file.stat().st_size
        if length > size or size > MAX_EXTERNAL_BYTES:
            raise gltf.error(f"buffers[{index}] declares {length} bytes; {uri!r} has {size}")
        data = file.read_bytes()
    if length > len(data):
        raise gltf.error(
            f"buffers[{index}] declares {length} bytes, past the end of its data ({len(data)})"
        )
    return data[:length]
