"""LRP: per-frame "all lip vertices within ρ" share, its curve and its inverse, against loops."""

from __future__ import annotations

import numpy as np
import pytest
from metrics_fixtures import naive_lrp

from selftalk.metrics import VertexMetrics, lip_readability, lrp_curve, rho_for_lrp

LIP = np.array([0, 1, 4])


def _pairs(rng):
    pairs = []
    for n in (5, 1, 9):
        gt = rng.normal(size=(n, 6, 3))
        pairs.append((gt + 0.2 * rng.normal(size=gt.shape), gt))
    return pairs


def test_lrp_matches_naive_loop_at_many_rho():
    pairs = _pairs(np.random.default_rng(0))
    metric = VertexMetrics(lip_indices=LIP)
    for pred, gt in pairs:
        metric.update(pred, gt)
    d = metric.compute().lip_max_distance
    s = np.sort(d)
    # a grid, plus thresholds between consecutive distances (at the distances themselves, a
    # last-ulp difference between two ways of summing squares decides; strictness is tested below)
    rhos = np.concatenate([np.linspace(0, d.max() * 1.2, 37), (s[1:] + s[:-1]) / 2])
    got = lip_readability(d, rhos)
    want = [naive_lrp(pairs, LIP, r) for r in rhos]
    assert got == pytest.approx(want, abs=0)


def test_strict_threshold_and_zero_error():
    d = np.array([0.0, 0.0, 1.0, 2.0])
    assert lip_readability(d, [0.0, 1.0, 1.0000001, 2.5]).tolist() == [0.0, 0.5, 0.75, 1.0]
    # perfect prediction: readable at every positive ρ
    assert lip_readability(np.zeros(5), 1e-12).tolist() == [1.0]


def test_curve_is_monotone_and_ends_at_one():
    d = np.random.default_rng(1).gamma(2.0, size=500)
    rho, lrp = lrp_curve(d, 51)
    assert rho.shape == lrp.shape == (51,)
    assert rho[0] == 0 and lrp[0] == 0 and lrp[-1] == 1
    assert np.all(np.diff(lrp) >= 0)
    rho, lrp = lrp_curve(np.zeros(3), 5)  # all-zero error: readable from the first positive ρ
    assert lrp.tolist() == [0, 1, 1, 1, 1]


@pytest.mark.parametrize("n", [1, 7, 10, 200])
def test_rho_for_lrp_is_the_smallest_sufficient_threshold(n):
    d = np.random.default_rng(n).exponential(size=n)
    levels = [0.1, 0.5, 0.9, 0.95, 1.0]
    for level, rho in zip(levels, rho_for_lrp(d, levels), strict=True):
        above = np.nextafter(rho, np.inf)
        # naive: count frames strictly below the threshold
        assert sum(x < above for x in d) / n >= level
        assert sum(x < rho for x in d) / n < level


def test_errors():
    with pytest.raises(ValueError):
        lip_readability(np.zeros(0), 1.0)
    with pytest.raises(ValueError):
        rho_for_lrp(np.ones(3), 0.0)
