"""ARKit weights solved block by block agree with the offline solver."""

import numpy as np
import pytest

from selftalk.arkit import LIVE_LINK as ARKIT_NAMES
from selftalk.export.arkit import BlendshapeBasis, solve_weights, to_arkit
from selftalk.export.arkit_stream import ArkitStreamSolver


@pytest.fixture(scope="module")
def basis():
    rng = np.random.default_rng(0)
    names = ARKIT_NAMES[:12]
    return BlendshapeBasis(
        names=tuple(names),
        deltas=rng.normal(0, 0.01, (len(names), 200, 3)).astype(np.float32),
        neutral=rng.normal(0, 0.1, (200, 3)).astype(np.float32),
    )


def motion_of(basis, frames=90, seed=1):
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None] / 30
    weights = np.clip(
        0.5 + 0.6 * np.sin(2 * np.pi * (0.5 + rng.random(len(basis.names))) * t), 0, 1
    )
    motion = basis.neutral + np.einsum("tk,kvc->tvc", weights, basis.deltas)
    return motion + rng.normal(0, 1e-4, motion.shape), weights


@pytest.mark.parametrize("block", [1, 3, 30])
def test_streamed_weights_match_the_offline_solve(basis, block):
    motion, truth = motion_of(basis)
    offline = solve_weights(motion, basis)
    expected, _ = to_arkit(offline.weights, offline.names)
    solver = ArkitStreamSolver(basis)
    streamed = np.concatenate(
        [solver.push(motion[i : i + block]) for i in range(0, len(motion), block)]
    )
    assert streamed.shape == (len(motion), 52)
    assert np.abs(streamed - expected).mean() < 2e-3
    assert np.abs(streamed - expected).max() < 0.05
    assert ((streamed >= 0) & (streamed <= 1)).all()
    missing = [ARKIT_NAMES.index(n) for n in ARKIT_NAMES[12:]]
    assert (streamed[:, missing] == 0).all()  # names the basis lacks stay 0


def test_smoothing_is_causal(basis):
    """A block's weights never depend on frames pushed after it."""
    motion, _ = motion_of(basis)
    a, b = ArkitStreamSolver(basis), ArkitStreamSolver(basis)
    first = a.push(motion[:30])
    changed = motion.copy()
    changed[30:] = basis.neutral
    assert np.array_equal(first, b.push(changed[:30]))
    assert len(a.push(np.zeros((0, 200, 3), np.float32))) == 0


def test_a_block_warm_started_from_the_last_frame_converges_sooner():
    """Each block starts from the last frame's weights and dual: the same weights, in fewer
    iterations (on the bundled head's basis, where the weights reach their bounds)."""
    from selftalk.export.arkit import _admm_box_qp, bundled_basis

    head = bundled_basis()
    motion, _ = motion_of(head)
    solver = ArkitStreamSolver(head)
    solver.push(motion[:30])
    y = motion[30:33].reshape(3, -1) - solver._neutral[None]
    rhs = (y @ solver._a).astype(np.float64)
    common = dict(
        smoothing=solver._smoothing,
        ridge=solver._ridge,
        options=solver.options,
        previous=solver._previous,
        rho=solver._rho,
        spectrum=solver._spectrum,
    )
    cold = _admm_box_qp(solver._gram, rhs, **common)
    warm = _admm_box_qp(solver._gram, rhs, start=(solver._previous, solver._dual), **common)
    assert cold.converged and warm.converged
    assert warm.iterations < cold.iterations
    assert np.abs(warm.weights - cold.weights).max() < 1e-2  # both within the tolerance
