"""Fit the bundled head to any head mesh: a similarity alignment, then non-rigid ICP.

1. Similarity (scale, rotation, translation) taking the user's mesh into the bundled head's
   frame: from ``--landmarks`` (Umeyama/Procrustes, ``trimesh.registration.procrustes``) or,
   without them, a search over the 24 axis-aligned orientations of the principal axes (scale
   from the surfaces' RMS radii), each refined by rigid ICP (``trimesh.registration.icp``),
   keeping the one with the smallest symmetric surface distance.
2. Non-rigid ICP of the bundled head onto the aligned mesh (Amberg et al. 2007,
   ``trimesh.registration.nricp_amberg``), with the landmarks as constraints when given.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from selftalk.rig.landmarks import head_landmarks
from selftalk.synth.head import Head

# (smoothness, landmark weight, normal weight, iterations) steps of the non-rigid ICP: stiff
# first, then looser; fewer iterations for "fast".
STEPS = {
    "fast": [[0.02, 10, 0.5, 3], [0.01, 2.5, 0.5, 3], [0.01, 0, 0.0, 2]],
    "full": [[0.01, 10, 0.5, 10], [0.02, 5, 0.5, 10], [0.03, 2.5, 0.5, 10], [0.01, 0, 0.0, 10]],
}


@dataclass(frozen=True, kw_only=True)
class Similarity:
    """x_head = scale * rotation @ x_mesh + translation."""

    scale: float
    rotation: np.ndarray  # (3, 3)
    translation: np.ndarray  # (3,)

    def apply(self, points: np.ndarray) -> np.ndarray:
        return self.scale * points @ self.rotation.T + self.translation

    def undo_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """Displacements in the head's frame -> the mesh's frame."""
        return vectors @ self.rotation / self.scale

    @classmethod
    def from_matrix(cls, matrix: np.ndarray) -> Similarity:
        linear = matrix[:3, :3]
        scale = float(np.cbrt(np.linalg.det(linear)))
        return cls(scale=scale, rotation=linear / scale, translation=matrix[:3, 3].copy())


def _proper_rotations() -> list[np.ndarray]:
    out = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            m = np.zeros((3, 3))
            m[range(3), perm] = signs
            if np.linalg.det(m) > 0:
                out.append(m)
    return out  # 24


def _samples(vertices: np.ndarray, faces: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` points spread evenly over the surface (independent of how it is meshed)."""
    import trimesh

    mesh = trimesh.Trimesh(np.asarray(vertices, np.float64), faces, process=False)
    points, _ = trimesh.sample.sample_surface(mesh, n, seed=seed)
    return np.asarray(points)


def _frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    centre = points.mean(0)
    centred = points - centre
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    if np.linalg.det(axes) < 0:
        axes[2] *= -1
    return centre, axes, float(np.sqrt((centred**2).sum(1).mean()))


def align(
    head: Head,
    vertices: np.ndarray,
    faces: np.ndarray,
    *,
    landmarks: dict[str, np.ndarray] | None = None,
    samples: int = 2000,
    seed: int = 0,
) -> tuple[Similarity, float]:
    """The similarity taking the user's mesh onto the bundled head, and the symmetric mean
    surface distance (m, head frame) it leaves.

    The scale comes from the landmarks, or from the RMS radius of evenly spread surface
    points (ICP that may scale can shrink a mesh into the head's mouth and eyes); rotation and
    translation are refined by rigid ICP and chosen by the symmetric (chamfer) distance.
    """
    from scipy.spatial import cKDTree
    from trimesh.registration import icp, procrustes

    points = _samples(vertices, faces, samples, seed)
    reference = _samples(head.template, head.faces, samples, seed + 1)
    ref_tree = cKDTree(reference)

    def chamfer(matrix: np.ndarray) -> float:
        moved = points @ matrix[:3, :3].T + matrix[:3, 3]
        there, _ = ref_tree.query(moved)
        back, _ = cKDTree(moved).query(reference)
        return float(there.mean() + back.mean()) / 2

    if landmarks:
        index = head_landmarks(head)
        names = sorted(landmarks)
        start, _, _ = procrustes(
            np.stack([landmarks[n] for n in names]),
            head.template[[index[n] for n in names]].astype(np.float64),
            reflection=False,
            scale=True,
        )
        starts = [start]
    else:
        c_mesh, axes_mesh, r_mesh = _frame(points)
        c_head, axes_head, r_head = _frame(reference)
        starts = []
        for flip in _proper_rotations():
            matrix = np.eye(4)
            matrix[:3, :3] = r_head / r_mesh * (axes_head.T @ flip @ axes_mesh)
            matrix[:3, 3] = c_head - matrix[:3, :3] @ c_mesh
            starts.append(matrix)
    refined = []
    for start in starts:
        matrix, _, _ = icp(points, reference, initial=start, max_iterations=12, scale=False)
        refined.append((chamfer(matrix), matrix))
    _, best = min(refined, key=lambda pair: pair[0])
    matrix, _, _ = icp(points, reference, initial=best, max_iterations=40, scale=False)
    return Similarity.from_matrix(matrix), chamfer(matrix)


def fit_head(
    head: Head,
    vertices: np.ndarray,
    faces: np.ndarray,
    *,
    landmarks: dict[str, np.ndarray] | None = None,
    quality: str = "full",
) -> np.ndarray:
    """(V_head, 3) bundled-head vertices fitted onto the mesh ``vertices``/``faces``, which must
    already be in the head's frame (see :func:`align`); ``landmarks`` likewise."""
    import trimesh
    from trimesh.registration import nricp_amberg

    source = trimesh.Trimesh(head.template.astype(np.float64), head.faces, process=False)
    target = trimesh.Trimesh(np.asarray(vertices, np.float64), faces, process=False)
    kwargs = {}
    if landmarks:
        index = head_landmarks(head)
        names = sorted(landmarks)
        kwargs = {
            "source_landmarks": np.array([index[n] for n in names]),
            "target_positions": np.stack([landmarks[n] for n in names]),
        }
    return np.asarray(
        nricp_amberg(source, target, steps=STEPS[quality], distance_threshold=0.01, **kwargs)
    )
