"""A face topology: the mesh every motion lives on, its regions and its frame rate.

Models take every size from a topology (vertex count, lip vertices), never from the name of
a dataset. Subject-specific neutral faces are *templates*: (V, 3) arrays on this topology.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from selftalk.errors import InputError
from selftalk.mesh import read_mesh


@dataclass(frozen=True, kw_only=True)
class Topology:
    """Mesh connectivity, named vertex regions and frame rate of one family of faces.

    Attributes:
        template: (V, 3) float32 neutral face, used when no subject template is given.
        faces: (F, 3) int64 triangles.
        lip_indices: (L,) int64 lip vertices (lip reader input; LVE and LRP).
        upper_face_indices: (U,) int64 upper-face vertices (FDD); may be empty.
        fps: mesh frames per second.
        name: a label for reports.
    """

    template: np.ndarray
    faces: np.ndarray
    lip_indices: np.ndarray
    upper_face_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    fps: float = 30.0
    name: str = ""

    def __post_init__(self) -> None:
        n = len(self.template)
        for label, indices in (("lip", self.lip_indices), ("upper-face", self.upper_face_indices)):
            if len(indices) and (indices.min() < 0 or indices.max() >= n):
                raise ValueError(f"{label} indices fall outside the {n} vertices of the topology")
        if len(self.lip_indices) == 0:
            raise ValueError("a topology needs at least one lip vertex")
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    @property
    def n_vertices(self) -> int:
        return len(self.template)

    @classmethod
    def from_files(
        cls,
        *,
        mesh: str | Path,
        lip: str | Path,
        upper_face: str | Path | None = None,
        fps: float,
        lip_key: str = "lips",
        name: str = "",
    ) -> Topology:
        """Build a topology from a mesh file (PLY/OBJ) and region files.

        ``lip``/``upper_face`` are index lists (text, comma or whitespace separated), ``.npy``
        arrays, or a FLAME-style ``.pkl`` of named regions (``lip_key`` picks one).
        """
        loaded = read_mesh(mesh)
        return cls(
            template=loaded.vertices,
            faces=loaded.faces,
            lip_indices=read_indices(lip, key=lip_key),
            upper_face_indices=(read_indices(upper_face) if upper_face else np.zeros(0, np.int64)),
            fps=float(fps),
            name=name,
        )

    @classmethod
    def from_dataset(cls, data_dir: str | Path) -> Topology:
        """The topology of a dataset in the processed layout (docs/data-format.md)."""
        from selftalk.data.layout import DatasetLayout

        layout = DatasetLayout(data_dir)
        meta = layout.meta
        upper = layout.upper_face_region_path
        return cls.from_files(
            mesh=layout.mesh_path,
            lip=layout.lip_region_path,
            upper_face=upper if upper.exists() else None,
            fps=float(meta.fps),
            name=meta.name or layout.root.name,
        )


def read_indices(path: str | Path, *, key: str | None = None) -> np.ndarray:
    """Read a vertex index list: text (``1, 2, 3`` or one a line), ``.npy``, or ``.pkl`` region dict."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such index file")
    if path.suffix == ".npy":
        from selftalk.io import load_npy

        values = load_npy(path, what="index list")
    elif path.suffix == ".pkl":
        from selftalk.data.safe_pickle import load_pickle

        obj = load_pickle(path)
        if isinstance(obj, dict):
            if key not in obj:
                raise InputError(
                    path, f"has no region {key!r} (it has: {', '.join(map(str, obj))})"
                )
            obj = obj[key]
        values = np.asarray(obj)
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(path, "not a text file of vertex indices") from None
        tokens = [t for t in re.split(r"[,\s]+", text) if t]
        try:
            values = np.asarray([int(t) for t in tokens])
        except ValueError:
            raise InputError(path, "expected integer vertex indices separated by commas") from None
    values = np.asarray(values).reshape(-1)
    if values.size == 0:
        raise InputError(path, "the index list is empty")
    if not np.issubdtype(values.dtype, np.integer):
        raise InputError(path, "vertex indices must be integers")
    return values.astype(np.int64)


def write_indices(path: str | Path, indices: np.ndarray) -> None:
    """Write a comma-separated index list (the BIWI ``regions/*.txt`` format), atomically."""
    from selftalk.io import write_text

    write_text(path, ", ".join(str(int(i)) for i in np.asarray(indices).reshape(-1)) + "\n")
