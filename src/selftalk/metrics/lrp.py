"""Lip readability percentage (LRP, SelfTalk Eq. 18) as a curve over the threshold ρ.

A frame counts as readable when every lip vertex lies strictly closer than ρ to its ground
truth, that is when the frame's *maximum* lip-vertex distance d_t is below ρ; LRP is the
share of readable frames over all frames of all clips. The paper does not publish ρ, so we
give the whole curve (an empirical cumulative distribution of d_t, exact at every ρ) and
its value at chosen ρ, plus the inverse: the ρ a model needs to reach a given LRP.

All functions take ``max_distance``: (N,) per-frame maximum lip distances (not squared),
e.g. :attr:`selftalk.metrics.vertex.VertexSummary.lip_max_distance`. Values are fractions
in [0, 1]; reports print them as percentages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def lip_readability(
    max_distance: np.ndarray, rho: float | Sequence[float] | np.ndarray
) -> np.ndarray:
    """Share of frames whose max lip distance is < ρ, for each ρ: (N,), (R,) → (R,) float64.

    Vectorised as a cumulative histogram: sort once, then one binary search a threshold.
    """
    d = np.sort(np.asarray(max_distance, np.float64).reshape(-1))
    if d.size == 0:
        raise ValueError("LRP needs at least one frame")
    rho = np.atleast_1d(np.asarray(rho, np.float64))
    return np.searchsorted(d, rho, side="left") / d.size


def lrp_curve(max_distance: np.ndarray, n_points: int = 201) -> tuple[np.ndarray, np.ndarray]:
    """LRP over ``n_points`` evenly spaced ρ from 0 to just above the largest distance.

    Returns (rho, lrp), each (n_points,); the last value is 1.
    """
    d = np.asarray(max_distance, np.float64).reshape(-1)
    if d.size == 0:
        raise ValueError("LRP needs at least one frame")
    top = float(d.max())
    top = np.nextafter(top, np.inf) if top > 0 else 1e-12  # strict "<": step just past the max
    rho = np.linspace(0.0, top, n_points)
    return rho, lip_readability(d, rho)


def rho_for_lrp(max_distance: np.ndarray, level: float | Sequence[float]) -> np.ndarray:
    """The ρ at which LRP reaches ``level``: LRP(ρ) ≥ level for every ρ greater than it.

    For N frames this is the k-th smallest distance with k = ceil(level · N) (levels in (0, 1]).
    (N,), (P,) → (P,) float64.
    """
    d = np.sort(np.asarray(max_distance, np.float64).reshape(-1))
    if d.size == 0:
        raise ValueError("LRP needs at least one frame")
    levels = np.atleast_1d(np.asarray(level, np.float64))
    if np.any((levels <= 0) | (levels > 1)):
        raise ValueError(f"LRP levels must lie in (0, 1], got {levels.tolist()}")
    # round() first so that 0.9 * 10 = 9.000000000000002 gives k = 9, not 10
    ks = [max(1, math.ceil(round(p * d.size, 9))) for p in levels]
    return np.asarray([d[k - 1] for k in ks])
