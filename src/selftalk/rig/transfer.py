"""Deformation transfer (Sumner & Popović 2004) of the bundled head's blendshapes onto any mesh,
in its gradient-domain form (Botsch et al. 2006: transfer = a Poisson problem).

Each triangle of the user's mesh corresponds to the closest, normal-compatible triangle of the
bundled head fitted onto it (``selftalk.rig.register``). For blendshape k, that head triangle's
deformation gradient Q (neutral -> shape k, with Sumner's fourth vertex along the normal) is
imposed on the mesh triangle, and the displaced vertices solve

    min_X  sum_t area_t |G_t X - P_t Q_t^T|^2  +  lam * sum_v (m_v / h^2) |X_v - Y_v|^2

with G_t the triangle's gradient operator, P_t its tangent projector, m_v the vertex area, h the
mean edge length and Y the dense-correspondence prior (each vertex carried by the barycentric
point of the fitted head it lies on). The prior fixes the translations the gradients leave free
(one per connected part: eyes, teeth) and keeps places where the correspondence is ambiguous
(lips at rest touch each other) in check. One sparse factorisation serves all 52 shapes.

No maintained Python library implements deformation transfer (libigl and trimesh have the
operators, not the method), so it is written here with scipy.sparse.
"""

from __future__ import annotations

import numpy as np


def closest_triangles(
    vertices: np.ndarray,
    faces: np.ndarray,
    points: np.ndarray,
    normals: np.ndarray | None = None,
    *,
    candidates: int = 12,
    min_cos: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """For each point (N, 3): the nearest triangle of the mesh whose normal agrees with the
    point's (cosine >= ``min_cos``; any triangle when none does), and the barycentric
    coordinates (N, 3) of the closest point on it."""
    import trimesh
    from scipy.spatial import cKDTree

    triangles = vertices[faces]
    k = min(candidates, len(faces))
    _, cand = cKDTree(triangles.mean(1)).query(points, k=k)
    cand = cand.reshape(len(points), k)
    flat_points = np.repeat(points, k, axis=0)
    closest = trimesh.triangles.closest_point(triangles[cand.reshape(-1)], flat_points)
    distance = np.linalg.norm(closest - flat_points, axis=1).reshape(-1, k)
    if normals is not None:
        face_normals = np.cross(
            triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]
        )
        face_normals /= np.maximum(np.linalg.norm(face_normals, axis=1, keepdims=True), 1e-20)
        agree = np.einsum("nkc,nc->nk", face_normals[cand], normals) >= min_cos
        distance = np.where(agree | ~agree.any(1, keepdims=True), distance, np.inf)
    best = distance.argmin(1)
    rows = np.arange(len(points))
    face = cand[rows, best]
    point = closest.reshape(-1, k, 3)[rows, best]
    bary = trimesh.triangles.points_to_barycentric(triangles[face], point)
    return face, bary


def gradient_operator(vertices: np.ndarray, faces: np.ndarray):
    """(3F, V) sparse G (rows 3t+d: d/dx_d on triangle t), areas (F,), unit normals (F, 3)."""
    import scipy.sparse as sp

    a, b, c = (vertices[faces[:, i]] for i in range(3))
    normal = np.cross(b - a, c - a)
    double_area = np.maximum(np.linalg.norm(normal, axis=1), 1e-20)
    normal = normal / double_area[:, None]
    grads = (
        np.stack(
            [np.cross(normal, c - b), np.cross(normal, a - c), np.cross(normal, b - a)], axis=1
        )
        / double_area[:, None, None]
    )  # (F, 3 corners, 3 dims): gradient of each hat function
    n = len(faces)
    rows = np.broadcast_to(
        (3 * np.arange(n))[:, None, None] + np.arange(3)[None, None], grads.shape
    )
    cols = np.broadcast_to(faces[:, :, None], grads.shape)
    matrix = sp.csr_matrix((grads.ravel(), (rows.ravel(), cols.ravel())), (3 * n, len(vertices)))
    return matrix, double_area / 2, normal


def _frames(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F, 3, 3) columns e1, e2, n/sqrt|n| (Sumner's fourth vertex)."""
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    e1, e2 = b - a, c - a
    n = np.cross(e1, e2)
    n = n / np.sqrt(np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-20))
    return np.stack([e1, e2, n], axis=2)


def transfer(
    source_neutral: np.ndarray,
    source_faces: np.ndarray,
    source_deltas: np.ndarray,
    fitted: np.ndarray,
    vertices: np.ndarray,
    faces: np.ndarray,
    *,
    prior_weight: float = 1.0,
) -> np.ndarray:
    """(K, V, 3) deltas on the mesh ``vertices``/``faces`` of the source's (K, Vs, 3)
    ``source_deltas``, given the source head ``fitted`` (Vs, 3) onto the mesh (same frame)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    vertices = np.asarray(vertices, np.float64)
    faces = np.asarray(faces, np.int64)
    source_neutral = np.asarray(source_neutral, np.float64)
    source_deltas = np.asarray(source_deltas, np.float64)
    gradient, area, normal = gradient_operator(vertices, faces)
    vertex_normals = np.zeros_like(vertices)
    for i in range(3):
        np.add.at(vertex_normals, faces[:, i], normal * area[:, None])
    vertex_normals /= np.maximum(np.linalg.norm(vertex_normals, axis=1, keepdims=True), 1e-20)
    # dense correspondence prior and per-triangle correspondence (at triangle centroids)
    vface, vbary = closest_triangles(fitted, source_faces, vertices, vertex_normals)
    corner = source_faces[vface]  # (V, 3)
    prior = np.einsum("vc,kvcx->kvx", vbary, source_deltas[:, corner])
    tface, _ = closest_triangles(fitted, source_faces, vertices[faces].mean(1), normal)
    # the system: (G^T A G + W) X = G^T A B + W Y
    weights_a = sp.diags(np.repeat(area, 3))
    laplacian = gradient.T @ weights_a @ gradient
    mass = np.zeros(len(vertices))
    for i in range(3):
        np.add.at(mass, faces[:, i], area / 3)
    edge = np.linalg.norm(vertices[faces[:, 0]] - vertices[faces[:, 1]], axis=1).mean()
    w = sp.diags(prior_weight * mass / max(edge**2, 1e-20) + 1e-12)
    solver = splu((laplacian + w).tocsc())
    projector = np.eye(3)[None] - normal[:, :, None] * normal[:, None, :]
    rest_inverse = np.linalg.inv(_frames(source_neutral, source_faces))[tface]
    out = np.empty((len(source_deltas), len(vertices), 3))
    for k, delta in enumerate(source_deltas):
        q = _frames(source_neutral + delta, source_faces)[tface] @ rest_inverse
        target = np.einsum("tij,tkj->tik", projector, q - np.eye(3)[None])  # P (Q - I)^T
        rhs = gradient.T @ (weights_a @ target.reshape(-1, 3)) + w @ prior[k]
        out[k] = solver.solve(rhs)
    return out.astype(np.float32)
