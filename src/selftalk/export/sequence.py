"""Per-frame mesh files (``frame_00000.obj`` ...) for tools that read mesh sequences."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from selftalk.errors import ConfigError
from selftalk.io import make_folders, remove_empty_folders
from selftalk.mesh import write_mesh


def write_sequence(
    directory: str | Path,
    motion: np.ndarray,
    faces: np.ndarray,
    *,
    fmt: str = "obj",
    prefix: str = "frame_",
) -> list[Path]:
    """Write each frame of (T, V, 3) ``motion`` as ``<prefix><index:05d>.<fmt>`` (obj or ply).

    Each file is written atomically with :func:`selftalk.mesh.write_mesh` (binary PLY, or
    OBJ with ``v``/``f`` lines); vertex order is kept. Returns the paths in frame order.
    A sequence is one output: if writing fails, the frames written so far are removed again.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in ("obj", "ply"):
        raise ConfigError(f"mesh sequences are written as obj or ply, not {fmt!r}")
    directory = Path(directory)
    created = make_folders(directory)
    digits = max(5, len(str(len(motion) - 1)))
    paths: list[Path] = []
    try:
        for i, vertices in enumerate(motion):
            path = directory / f"{prefix}{i:0{digits}d}.{fmt}"
            write_mesh(path, vertices, faces)
            paths.append(path)
    except BaseException:
        for path in paths:
            path.unlink(missing_ok=True)
        remove_empty_folders(created)
        raise
    return paths
