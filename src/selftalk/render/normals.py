"""Smooth per-vertex normals, recomputed for every frame of a motion."""

from __future__ import annotations

import numpy as np
import scipy.sparse


class VertexNormals:
    """Area-weighted vertex normals of a fixed triangle list, vectorised over frames.

    The (V, F) vertex-face incidence is built once as a sparse matrix, so a frame's normals
    are one sparse product of its face normals (no Python loop, no ``np.add.at``).
    """

    def __init__(self, faces: np.ndarray, n_vertices: int):
        faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
        self.faces = faces
        self.n_vertices = int(n_vertices)
        rows = faces.reshape(-1)
        cols = np.repeat(np.arange(len(faces)), 3)
        data = np.ones(len(rows), np.float32)
        self._incidence = scipy.sparse.csr_matrix(
            (data, (rows, cols)), shape=(self.n_vertices, len(faces))
        )

    def __call__(self, vertices: np.ndarray) -> np.ndarray:
        """(V, 3) or (T, V, 3) positions -> unit normals of the same shape (float32).

        A vertex used by no triangle (or only by degenerate ones) gets the normal (0, 0, 1).
        """
        vertices = np.asarray(vertices, dtype=np.float32)
        single = vertices.ndim == 2
        batch = vertices[None] if single else vertices
        v0, v1, v2 = (batch[:, self.faces[:, i]] for i in range(3))
        face_normals = np.cross(v1 - v0, v2 - v0)  # (T, F, 3), length = 2 x area
        t = len(batch)
        stacked = face_normals.transpose(1, 0, 2).reshape(len(self.faces), t * 3)
        summed = np.asarray(self._incidence @ stacked).reshape(self.n_vertices, t, 3)
        normals = summed.transpose(1, 0, 2)
        length = np.linalg.norm(normals, axis=-1, keepdims=True)
        ok = length[..., 0] > 1e-20
        normals = np.where(ok[..., None], normals / np.maximum(length, 1e-20), [0.0, 0.0, 1.0])
        normals = normals.astype(np.float32)
        return normals[0] if single else normals


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit area-weighted normals of (V, 3) or (T, V, 3) ``vertices`` for (F, 3) ``faces``."""
    vertices = np.asarray(vertices)
    return VertexNormals(faces, vertices.shape[-2])(vertices)
