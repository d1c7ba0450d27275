"""``rig_mesh``: the 52 ARKit blendshapes for any head mesh, and the rigged ``.glb``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.errors import InputError
from selftalk.rig.register import Similarity, align, fit_head
from selftalk.rig.transfer import transfer
from selftalk.synth.head import load_head


@dataclass(frozen=True, kw_only=True)
class Rig:
    """A mesh and its blendshapes, in the mesh's own units and axes.

    Attributes:
        vertices: (V, 3) float32 neutral mesh; faces: (F, 3) int64.
        names: the 52 ARKit names; deltas: (52, V, 3) float32 displacements at weight 1.
        similarity: mesh -> bundled-head frame.
        align_rms: mean symmetric surface distance (m, head frame) after the alignment.
        fit_rms: RMS distance (m, head frame) of the mesh's vertices to the fitted head's surface.
        seconds: time taken.
    """

    vertices: np.ndarray
    faces: np.ndarray
    names: tuple[str, ...]
    deltas: np.ndarray
    similarity: Similarity
    align_rms: float
    fit_rms: float
    seconds: float


def rig_mesh(
    vertices: np.ndarray,
    faces: np.ndarray,
    *,
    landmarks: dict[str, np.ndarray] | None = None,
    quality: str = "full",
    prior_weight: float = 1.0,
) -> Rig:
    """Fit the bundled head to (V, 3) ``vertices`` / (F, 3) ``faces`` (any units, pose and
    topology) and transfer its 52 ARKit blendshapes (see ``selftalk.rig``)."""
    from selftalk.rig.transfer import closest_triangles

    start = time.perf_counter()
    vertices = np.asarray(vertices, np.float64)
    faces = np.asarray(faces, np.int64).reshape(-1, 3)
    if len(faces) < 4 or len(vertices) < 4:
        raise InputError("mesh", "needs triangles to rig")
    head = load_head()
    similarity, align_rms = align(head, vertices, faces, landmarks=landmarks)
    aligned = similarity.apply(vertices)
    aligned_landmarks = (
        {name: similarity.apply(point[None])[0] for name, point in landmarks.items()}
        if landmarks
        else None
    )
    fitted = fit_head(head, aligned, faces, landmarks=aligned_landmarks, quality=quality)
    face, bary = closest_triangles(fitted, head.faces, aligned)
    nearest = np.einsum("vc,vcx->vx", bary, fitted[head.faces[face]])
    distance = np.linalg.norm(nearest - aligned, axis=1)
    deltas = transfer(
        head.template,
        head.faces,
        head.blendshapes,
        fitted,
        aligned,
        faces,
        prior_weight=prior_weight,
    )
    deltas = similarity.undo_vectors(deltas.reshape(-1, 3)).reshape(deltas.shape)
    return Rig(
        vertices=vertices.astype(np.float32),
        faces=faces,
        names=tuple(head.blendshape_names),
        deltas=deltas.astype(np.float32),
        similarity=similarity,
        align_rms=align_rms,
        fit_rms=float(np.sqrt(np.mean(distance**2))),
        seconds=time.perf_counter() - start,
    )


def write_rigged(path: str | Path, rig: Rig, *, name: str = "head") -> int:
    """Write ``rig`` as a ``.glb``: one mesh, 52 ARKit-named morph targets, no animation.
    Returns the file size."""
    from selftalk.export.basis import MotionBasis
    from selftalk.export.gltf import glb_bytes
    from selftalk.io import write_bytes

    basis = MotionBasis(
        base=rig.vertices,
        targets=rig.deltas,
        weights=np.zeros((0, len(rig.deltas)), np.float32),
        max_error=0.0,
        rms_error=0.0,
        tolerance=0.0,
    )
    blob = glb_bytes(basis, rig.faces, fps=30.0, name=name, target_names=list(rig.names))
    write_bytes(path, blob)
    return len(blob)
