"""A small synthetic head for render/export tests: an ellipsoid whose lower front opens like a jaw.

Module name is unique (not ``conftest``) so tests in both tests/render and tests/export can
import it (tests/export adds tests/render to ``sys.path``).
"""

from __future__ import annotations

import numpy as np


def head(n_lat: int = 48, n_lon: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(V, 3) float32 vertices (y up, face towards +z, ~0.2 units tall) and (F, 3) faces."""
    lat = np.linspace(0.0, np.pi, n_lat)
    lon = np.linspace(0.0, 2 * np.pi, n_lon, endpoint=False)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    vertices = np.stack(
        [np.sin(la) * np.sin(lo) * 0.08, np.cos(la) * 0.11, np.sin(la) * np.cos(lo) * 0.09], -1
    ).reshape(-1, 3)
    faces = []
    for i in range(n_lat - 1):
        for j in range(n_lon):
            a, b = i * n_lon + j, i * n_lon + (j + 1) % n_lon
            faces += [(a, a + n_lon, b), (b, a + n_lon, b + n_lon)]
    return vertices.astype(np.float32), np.asarray(faces, dtype=np.int64)


def jaw_mask(vertices: np.ndarray) -> np.ndarray:
    """(V,) bool: the lower front of the head (below y = -0.02, facing +z)."""
    return (vertices[:, 1] < -0.02) & (vertices[:, 2] > 0.03)


def open_jaw(vertices: np.ndarray, amount: float) -> np.ndarray:
    """Move the jaw vertices down and back by ``amount`` (units), more at the chin."""
    out = vertices.copy()
    jaw = jaw_mask(vertices)
    depth = np.clip((-0.02 - vertices[jaw, 1]) / 0.06, 0.0, 1.0)
    out[jaw, 1] -= amount * depth
    out[jaw, 2] -= 0.5 * amount * depth
    return out


def talking(vertices: np.ndarray, frames: int, fps: float = 30.0) -> np.ndarray:
    """(T, V, 3) float32: the jaw opening and closing at 2 Hz, plus a slow cheek swell."""
    t = np.arange(frames) / fps
    opening = 0.02 * np.abs(np.sin(2 * np.pi * 1.0 * t))
    swell = 1.0 + 0.05 * np.sin(2 * np.pi * 0.5 * t)
    motion = np.stack([open_jaw(vertices, a) for a in opening])
    motion[:, :, 0] *= swell[:, None]
    return motion.astype(np.float32)
