"""Motion arrays: (T, V, 3) float32 absolute vertex positions, from ``.npy`` files or arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from selftalk.checks import finite_array
from selftalk.errors import InputError


def as_motion(
    array: np.ndarray, n_vertices: int | None = None, *, name: str = "motion"
) -> np.ndarray:
    """Return ``array`` as (T, V, 3) float32; accepts (T, V, 3), (T, V*3) or one (V, 3) frame.

    Raises ``InputError`` (with ``name`` as the path) when the shape does not fit ``n_vertices``
    or a value is not finite.
    """
    motion = np.asarray(array)
    if not np.issubdtype(motion.dtype, np.number):
        raise InputError(name, f"expected a numeric array, got dtype {motion.dtype}")
    if motion.ndim == 2 and n_vertices is not None and motion.shape == (n_vertices, 3):
        motion = motion[None]
    if motion.ndim == 2:
        if motion.shape[1] % 3:
            raise InputError(name, f"shape {motion.shape}: the second axis is not a multiple of 3")
        motion = motion.reshape(len(motion), -1, 3)
    if motion.ndim != 3 or motion.shape[2] != 3:
        raise InputError(name, f"shape {motion.shape}: expected (T, V, 3) or (T, V*3)")
    if len(motion) == 0:
        raise InputError(name, "the motion has no frames")
    if n_vertices is not None and motion.shape[1] != n_vertices:
        raise InputError(
            name, f"has {motion.shape[1]} vertices a frame but the mesh has {n_vertices}"
        )
    motion = np.ascontiguousarray(motion, dtype=np.float32)
    return finite_array(motion, name, "its vertex positions")


def load_motion(path: str | Path, n_vertices: int | None = None) -> np.ndarray:
    """Load a ``.npy`` motion file as (T, V, 3) float32 (see :func:`as_motion`)."""
    from selftalk.io import load_npy

    return as_motion(load_npy(path, what="motion"), n_vertices, name=str(path))


def template_mesh(path: str | Path | None = None):
    """The mesh a motion lives on: ``path`` (PLY/OBJ), or the bundled head when None.

    Returns a :class:`selftalk.mesh.Mesh` (vertices (V, 3) float32, faces (F, 3) int64).
    """
    from selftalk.mesh import Mesh, read_mesh

    if path is not None:
        return read_mesh(path)
    try:
        from selftalk.synth.head import load_head
    except ImportError:
        from selftalk.errors import ConfigError

        raise ConfigError("no bundled head in this installation: pass --template MESH") from None
    head = load_head()
    return Mesh(
        vertices=np.asarray(head.template, np.float32), faces=np.asarray(head.faces, np.int64)
    )
