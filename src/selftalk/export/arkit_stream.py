"""ARKit-52 weights for a stream of frames, block by block, in bounded memory.

The objective of :func:`selftalk.export.arkit.solve_weights` with the smoothing made causal:
each block of new frames is solved jointly, tied to the last frame already sent (held fixed),
so no weight sent is ever revised. Only that frame's weights (and its ADMM dual and
penalty, which warm-start the next block) are kept between blocks. The default stopping
tolerance is 1e-4 (offline: 1e-6): weights move by under 1e-3 on average and a block of 3
frames takes about a millisecond.
"""

from __future__ import annotations

import copy

import numpy as np

from selftalk.arkit import LIVE_LINK as ARKIT_NAMES
from selftalk.export.arkit import (
    BlendshapeBasis,
    SolverOptions,
    _admm_box_qp,
    bundled_basis,
    gram_spectrum,
    to_arkit,
)


class ArkitStreamSolver:
    """Vertex frames (k, V, 3) in, ARKit-52 weights (k, 52) out, causally smoothed.

    ``neutral`` (V, 3) is the face the weights are measured from (default: the basis's).
    """

    names = ARKIT_NAMES

    def __init__(
        self,
        basis: BlendshapeBasis | None = None,
        *,
        neutral: np.ndarray | None = None,
        options: SolverOptions | None = None,
    ):
        basis = basis or bundled_basis()
        self.options = (options or SolverOptions(tolerance=1e-4)).validate()
        neutral = basis.neutral if neutral is None else neutral
        if neutral is None:
            raise ValueError("the basis has no neutral face: pass the stream's template")
        self._neutral = np.asarray(neutral, np.float32).reshape(-1)
        self._a = basis.deltas.reshape(len(basis.deltas), -1).T.astype(np.float32)  # (3V, K)
        a64 = self._a.astype(np.float64)
        self._gram = a64.T @ a64
        self._spectrum = gram_spectrum(self._gram)
        scale = float(np.mean(np.diag(self._gram))) or 1.0
        self._smoothing = self.options.smoothing * scale
        self._ridge = self.options.regularization * scale
        self._basis_names = tuple(basis.names)
        self._previous: np.ndarray | None = None  # (K,) the last frame's weights
        self._dual: np.ndarray | None = None  # (K,) its scaled ADMM dual
        self._rho: float | None = None  # the ADMM penalty the last block ended with

    def spawn(self) -> ArkitStreamSolver:
        """A solver for another stream: shares this one's matrices, starts with no past."""
        other = copy.copy(self)
        other._previous, other._dual, other._rho = None, None, None
        return other

    @property
    def n_vertices(self) -> int:
        return len(self._neutral) // 3

    def push(self, frames: np.ndarray) -> np.ndarray:
        """(k, V, 3) frames → (k, 52) float32 ARKit weights (ARKit order, names absent from
        the basis are 0)."""
        frames = np.asarray(frames, np.float32)
        if len(frames) == 0:
            return np.zeros((0, len(ARKIT_NAMES)), np.float32)
        y = frames.reshape(len(frames), -1) - self._neutral[None]
        rhs = (y @ self._a).astype(np.float64)  # (k, K)
        start = None if self._previous is None else (self._previous, self._dual)
        solved = _admm_box_qp(
            self._gram,
            rhs,
            smoothing=self._smoothing,
            ridge=self._ridge,
            options=self.options,
            previous=self._previous,
            rho=self._rho,
            spectrum=self._spectrum,
            start=start,
        )
        self._previous, self._dual = solved.weights[-1].copy(), solved.dual[-1].copy()
        self._rho = solved.rho
        arkit, _ = to_arkit(solved.weights.astype(np.float32), self._basis_names)
        return arkit
