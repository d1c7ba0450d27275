"""Rigging quality on meshes whose answer is known: one of the bundled head's identities,
remeshed (subdivided with trimesh, decimated with fast-simplification), rescaled, rotated and
moved. Its true blendshapes are the head's (the head adds the same expression deltas to every
identity), carried to each new vertex by its barycentric point on the identity's surface.

Used by the tests and ``benchmarks/bench_rig.py``; needs ``trimesh`` and, to decimate,
``fast-simplification``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from selftalk.rig.register import Similarity
from selftalk.rig.transfer import closest_triangles
from selftalk.synth.head import load_head


@dataclass(frozen=True, kw_only=True)
class Case:
    """A test mesh: vertices/faces as given to the rigger, the truth deltas (52, V, 3) in
    metres in the head's frame, ``pose`` (head frame -> mesh frame) and its neutral in the
    head's frame."""

    vertices: np.ndarray
    faces: np.ndarray
    truth: np.ndarray
    pose: Similarity
    neutral: np.ndarray
    landmarks: dict[str, np.ndarray]


def make_case(
    *,
    seed: int = 0,
    subdivide: bool = True,
    keep: float = 0.3,
    rotation_deg: tuple[float, float, float] = (20.0, -35.0, 10.0),
    scale: float = 10.0,
    translation: tuple[float, float, float] = (0.3, 1.2, -0.5),
) -> Case:
    """Identity ``seed`` of the bundled head (16 random identity coefficients), subdivided
    once, decimated to ``keep`` of its triangles (1.0: not decimated), then posed."""
    import trimesh
    from scipy.spatial.transform import Rotation

    head = load_head()
    rng = np.random.default_rng(seed)
    identity = head.identity(rng.normal(size=16)).astype(np.float64)
    vertices, faces = identity, head.faces
    if subdivide:
        vertices, faces = trimesh.remesh.subdivide(vertices, faces)
    if keep < 1.0:
        import fast_simplification

        vertices, faces = fast_simplification.simplify(
            vertices.astype(np.float32), faces.astype(np.int32), target_reduction=1.0 - keep
        )
    vertices = np.asarray(vertices, np.float64)
    faces = np.asarray(faces, np.int64)
    face, bary = closest_triangles(identity, head.faces, vertices)
    truth = np.einsum("vc,kvcx->kvx", bary, head.blendshapes[:, head.faces[face]])
    rotation = Rotation.from_euler("xyz", rotation_deg, degrees=True).as_matrix()
    pose = Similarity(scale=scale, rotation=rotation, translation=np.asarray(translation))
    from selftalk.rig.landmarks import head_landmarks

    landmarks = {
        name: pose.apply(identity[index][None])[0] for name, index in head_landmarks().items()
    }
    return Case(
        vertices=pose.apply(vertices),
        faces=faces,
        truth=truth.astype(np.float32),
        pose=pose,
        neutral=vertices,
        landmarks=landmarks,
    )


def residuals_mm(deltas: np.ndarray, case: Case) -> np.ndarray:
    """(52, V) distance in mm between rigged ``deltas`` (mesh frame) and the truth, after
    undoing the case's pose."""
    back = case.pose.undo_vectors(deltas.reshape(-1, 3)).reshape(deltas.shape)
    return np.linalg.norm(back - case.truth, axis=-1) * 1000.0
