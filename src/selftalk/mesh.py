"""Read and write triangle meshes (PLY, OBJ) with the vertex order of the file kept exactly.

Vertex order is the contract between a topology, its region index lists and every motion
file, so readers here never merge, split or reorder vertices. PLY goes through ``plyfile``;
OBJ is read by a short parser of ``v``/``f`` lines because general-purpose loaders re-index
vertices that carry texture coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.checks import finite_array
from selftalk.errors import InputError
from selftalk.io import atomic_path


@dataclass(frozen=True, kw_only=True)
class Mesh:
    """A triangle mesh: ``vertices`` (V, 3) float32 and ``faces`` (F, 3) int64."""

    vertices: np.ndarray
    faces: np.ndarray


def read_mesh(path: str | Path) -> Mesh:
    """Read a ``.ply`` or ``.obj`` mesh; polygons are fanned into triangles."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such mesh file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".ply":
            mesh = _read_ply(path)
        elif suffix == ".obj":
            mesh = _read_obj(path)
        else:
            raise InputError(path, f"unsupported mesh format {suffix!r} (use .ply or .obj)")
    except InputError:
        raise
    except Exception as error:  # a malformed file can fail in many ways inside the parsers
        raise InputError(path, f"not a readable mesh ({error})") from None
    if mesh.vertices.ndim != 2 or mesh.vertices.shape[1] != 3 or len(mesh.vertices) == 0:
        raise InputError(path, "the mesh has no vertices")
    finite_array(mesh.vertices, path, "its vertex positions")
    if len(mesh.faces) and (mesh.faces.min() < 0 or mesh.faces.max() >= len(mesh.vertices)):
        raise InputError(path, "a face refers to a vertex that does not exist")
    return mesh


def write_mesh(path: str | Path, vertices: np.ndarray, faces: np.ndarray | None = None) -> None:
    """Write a ``.ply`` (binary) or ``.obj`` mesh atomically."""
    path = Path(path)
    vertices = np.asarray(vertices, dtype=np.float32).reshape(-1, 3)
    faces = np.zeros((0, 3), np.int64) if faces is None else np.asarray(faces).reshape(-1, 3)
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".ply":
            _write_ply(tmp, vertices, faces)
        elif suffix == ".obj":
            _write_obj(tmp, vertices, faces)
        else:
            raise InputError(path, f"unsupported mesh format {suffix!r} (use .ply or .obj)")


def _fan(polygons: list[list[int]]) -> np.ndarray:
    triangles = [(p[0], p[i], p[i + 1]) for p in polygons for i in range(1, len(p) - 1)]
    return np.asarray(triangles, dtype=np.int64).reshape(-1, 3)


def _read_ply(path: Path) -> Mesh:
    from plyfile import PlyData

    ply = PlyData.read(str(path))
    vertex = ply["vertex"]
    vertices = np.stack([vertex["x"], vertex["y"], vertex["z"]], axis=1).astype(np.float32)
    faces = np.zeros((0, 3), np.int64)
    if "face" in ply:
        names = ply["face"].data.dtype.names
        key = "vertex_indices" if "vertex_indices" in names else names[0]
        faces = _fan([list(map(int, f)) for f in ply["face"].data[key]])
    return Mesh(vertices=vertices, faces=faces)


def _write_ply(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    from plyfile import PlyData, PlyElement

    vertex = np.empty(len(vertices), dtype=[("x", "f4"), ("y", "f4"), ("z", "f4")])
    vertex["x"], vertex["y"], vertex["z"] = vertices.T
    face = np.empty(len(faces), dtype=[("vertex_indices", "i4", (3,))])
    face["vertex_indices"] = faces
    elements = [PlyElement.describe(vertex, "vertex"), PlyElement.describe(face, "face")]
    PlyData(elements, text=False).write(str(path))


def _read_obj(path: Path) -> Mesh:
    vertices: list[list[float]] = []
    polygons: list[list[int]] = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "v":
                vertices.append([float(x) for x in parts[1:4]])
            elif parts[0] == "f":
                # "f 1/2/3 4/5/6 …": the vertex index is the first field; negative is relative
                ids = [int(p.split("/")[0]) for p in parts[1:]]
                polygons.append([i - 1 if i > 0 else len(vertices) + i for i in ids])
    return Mesh(vertices=np.asarray(vertices, np.float32).reshape(-1, 3), faces=_fan(polygons))


def _write_obj(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    lines = [f"v {x:.7g} {y:.7g} {z:.7g}" for x, y, z in vertices]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
