"""Paired bootstrap over test clips: confidence intervals and significance for metric differences.

Every metric here is a ratio of per-clip sums, Σ num / Σ den (:class:`~selftalk.metrics.
definitions.Units`: pooled frames or per-clip means alike). A bootstrap sample draws S
clips with replacement and recomputes the ratio. The same draws serve every method, so
differences between methods are *paired*: a hard clip is hard for all of them.

The procedure, exactly (tests re-implement it with loops):

1. ``idx = numpy.random.default_rng(seed).integers(0, S, size=(B, S))``: one draw matrix;
2. for each method and metric, ``stat[b] = num[idx[b]].sum() / den[idx[b]].sum()``;
3. the confidence interval is the percentile interval of ``stat`` (numpy's ``linear``
   quantiles at (1 − c)/2 and (1 + c)/2);
4. for a difference d = stat_A − stat_B, the two-sided p-value inverts that interval:
   p = min(1, 2·(min(#{d[b] ≤ 0}, #{d[b] ≥ 0}) + 1) / (B + 1)).

The Wilcoxon signed-rank test (scipy) on the per-clip values is given beside it: it asks
whether one method's clips are typically better, each clip weighing the same.
"""

from __future__ import annotations

import numpy as np

#: bootstrap samples drawn at once bound the (chunk, S) temporaries
CHUNK = 4096


def bootstrap_indices(n_units: int, n_boot: int, seed: int) -> np.ndarray:
    """(B, S) clip indices drawn with replacement (step 1 above)."""
    if n_units < 1 or n_boot < 1:
        raise ValueError(f"need at least one clip and one sample (got {n_units}, {n_boot})")
    return np.random.default_rng(seed).integers(0, n_units, size=(n_boot, n_units))


def ratio_samples(num: np.ndarray, den: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """(B,) Σ num / Σ den over each row of clip indices ``idx`` (B, S)."""
    out = np.empty(len(idx), np.float64)
    for start in range(0, len(idx), CHUNK):
        rows = idx[start : start + CHUNK]
        out[start : start + CHUNK] = num[rows].sum(axis=1) / den[rows].sum(axis=1)
    return out


def percentile_interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    """The percentile interval holding ``confidence`` of the bootstrap distribution."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    tail = (1 - confidence) / 2
    low, high = np.quantile(samples, [tail, 1 - tail])
    return float(low), float(high)


def bootstrap_p_value(differences: np.ndarray) -> float:
    """Two-sided p-value of "no difference" from (B,) bootstrap differences (step 4 above)."""
    below = int(np.count_nonzero(differences <= 0))
    above = int(np.count_nonzero(differences >= 0))
    return min(1.0, 2 * (min(below, above) + 1) / (len(differences) + 1))


def wilcoxon_p_value(a: np.ndarray, b: np.ndarray) -> float | None:
    """Two-sided Wilcoxon signed-rank p-value of paired per-clip values (None: too few clips)."""
    from scipy.stats import wilcoxon

    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if len(diff) < 2:
        return None
    if not np.any(diff):
        return 1.0
    return float(wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)
