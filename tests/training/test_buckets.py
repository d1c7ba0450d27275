import numpy as np
import pytest

from selftalk.training.buckets import similar_length_order


@pytest.fixture
def lengths():
    return np.random.default_rng(0).integers(20, 900, 203).astype(float)


def test_every_clip_once_in_batches_of_similar_length(lengths):
    indices = list(range(5, 203))  # a share of the clips, not all of them
    order = similar_length_order(indices, lengths, 8, np.random.default_rng(1), jitter=15)
    assert sorted(order) == indices
    batches = [order[i : i + 8] for i in range(0, len(order) - 8 + 1, 8)]
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    random_batches = np.random.default_rng(2).permutation(indices)[: len(batches) * 8]
    random_spread = np.mean([np.ptp(lengths[b]) for b in random_batches.reshape(-1, 8)])
    assert spread < 0.1 * random_spread, (spread, random_spread)
    padded = sum(len(b) * lengths[b].max() for b in batches)
    assert padded < 1.05 * sum(lengths[b].sum() for b in batches)


def test_the_batches_come_in_random_order_and_depend_on_the_generator(lengths):
    indices = list(range(len(lengths)))
    a = similar_length_order(indices, lengths, 8, np.random.default_rng(1), jitter=15)
    b = similar_length_order(indices, lengths, 8, np.random.default_rng(1), jitter=15)
    c = similar_length_order(indices, lengths, 8, np.random.default_rng(2), jitter=15)
    assert a == b and a != c
    firsts = lengths[a[: len(a) // 8 * 8 : 8]]
    assert not np.all(np.diff(firsts) >= 0)  # not longest last
    exact = similar_length_order(indices, lengths, 8, np.random.default_rng(1), jitter=0)
    assert set(exact[-3:]) == set(np.argsort(lengths)[-3:].tolist())  # the short batch last
