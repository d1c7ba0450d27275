"""A compact linear basis of a motion (PCA), the morph targets of a glTF animation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from selftalk.errors import ConfigError

EXACT_SVD_MAX_FRAMES = 2000  # above this, a randomized SVD keeps the cost linear in T


@dataclass(frozen=True, kw_only=True)
class MotionBasis:
    """motion[t] ~= base + sum_k weights[t, k] * targets[k].

    Attributes:
        base: (V, 3) float32 rest shape (the template, or the motion's mean frame).
        targets: (K, V, 3) float32 displacements, scaled so that every weight is in [-1, 1].
        weights: (T, K) float32.
        max_error: largest per-vertex Euclidean reconstruction error over all frames.
        rms_error: root mean square per-vertex Euclidean reconstruction error.
        tolerance: the ``max_error`` bound the component count was chosen for.
    """

    base: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    max_error: float
    rms_error: float
    tolerance: float

    @property
    def n_components(self) -> int:
        return len(self.targets)

    def reconstruct(self) -> np.ndarray:
        """(T, V, 3) float32 motion rebuilt from the basis."""
        flat = self.weights @ self.targets.reshape(len(self.targets), -1)
        return (self.base[None] + flat.reshape(len(self.weights), -1, 3)).astype(np.float32)


def fit_basis(
    motion: np.ndarray,
    *,
    base: np.ndarray | None = None,
    tolerance: float | None = None,
    relative_tolerance: float = 1e-3,
    max_components: int = 64,
    seed: int = 0,
) -> MotionBasis:
    """Fewest principal components of ``motion - base`` whose max vertex error <= tolerance.

    Args:
        motion: (T, V, 3) vertex positions.
        base: (V, 3) rest shape; default the mean frame.
        tolerance: allowed max per-vertex error in mesh units; default ``relative_tolerance``
            times the diagonal of the base's bounding box.
        max_components: cap on K; the error reached at the cap is reported even if above
            ``tolerance``.
    """
    motion = np.asarray(motion, dtype=np.float64)
    t, v, _ = motion.shape
    base = motion.mean(axis=0) if base is None else np.asarray(base, np.float64).reshape(v, 3)
    if max_components < 1:
        raise ConfigError(f"max_components must be at least 1, got {max_components}")
    if tolerance is None:
        diagonal = float(np.linalg.norm(base.max(axis=0) - base.min(axis=0)))
        tolerance = relative_tolerance * diagonal
    if tolerance < 0:
        raise ConfigError(f"tolerance must be non-negative, got {tolerance}")

    offsets = (motion - base[None]).reshape(t, 3 * v)
    cap = min(max_components, t, 3 * v)
    u, s, vt = _svd(offsets, cap, seed)
    residual = offsets.copy()
    k = 0
    error = _max_vertex_error(residual)
    while error > tolerance and k < len(s):
        residual -= np.outer(u[:, k] * s[k], vt[k])
        k += 1
        error = _max_vertex_error(residual)
    coefficients = u[:, :k] * s[:k]  # (T, K)
    scale = np.abs(coefficients).max(axis=0) if k else np.zeros(0)
    scale = np.where(scale > 0, scale, 1.0)
    rms = float(np.sqrt(np.mean(np.sum(residual.reshape(t, v, 3) ** 2, axis=-1))))
    return MotionBasis(
        base=base.astype(np.float32),
        targets=(vt[:k] * scale[:, None]).reshape(k, v, 3).astype(np.float32),
        weights=(coefficients / scale).astype(np.float32),
        max_error=float(error),
        rms_error=rms,
        tolerance=float(tolerance),
    )


def _max_vertex_error(residual: np.ndarray) -> float:
    t = len(residual)
    return float(np.sqrt(np.max(np.sum(residual.reshape(t, -1, 3) ** 2, axis=-1))))


def _svd(matrix: np.ndarray, rank: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-``rank`` SVD of a (T, N) matrix with T << N.

    Short motions: eigen-decomposition of the (T, T) Gram matrix, much faster than LAPACK's
    SVD of a wide matrix; it loses precision only for singular values below ~1e-7 of the
    largest, far under any useful tolerance, and those are dropped. Long motions: a
    randomized SVD (Halko et al. 2011), linear in T.
    """
    if len(matrix) > EXACT_SVD_MAX_FRAMES:
        rng = np.random.default_rng(seed)
        sketch = matrix @ rng.standard_normal((matrix.shape[1], rank + 10))
        for _ in range(2):  # power iterations sharpen the spectrum
            sketch, _ = np.linalg.qr(sketch)
            sketch = matrix @ (matrix.T @ sketch)
        q, _ = np.linalg.qr(sketch)
        u_small, s, vt = np.linalg.svd(q.T @ matrix, full_matrices=False)
        return (q @ u_small)[:, :rank], s[:rank], vt[:rank]
    values, vectors = np.linalg.eigh(matrix @ matrix.T)
    order = np.argsort(values)[::-1][:rank]
    s = np.sqrt(np.maximum(values[order], 0.0))
    keep = s > max(s[0], 1e-300) * 1e-7 if len(s) else s > 0
    u, s = vectors[:, order][:, keep], s[keep]
    vt = (u.T @ matrix) / s[:, None]
    return u, s, vt
