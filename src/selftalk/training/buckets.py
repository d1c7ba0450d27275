"""Batches of clips of similar length, so that a padded batch wastes little computation.

A training batch is padded to its longest clip, and attention costs grow with the square of
that length: with SynthTalk's clips (0.6 to 31 s) in random batches of 8, 39 % of the
frames a step computes are padding (bucketed: 5 %). Sorting each epoch's clips by length, with a little
random jitter so that the same clips do not always meet, and then shuffling the order of the
batches keeps each batch's clips alike in length and the order of batches random.
"""

from __future__ import annotations

import numpy as np


def similar_length_order(
    indices: list[int],
    lengths: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
    jitter: float,
) -> list[int]:
    """``indices`` reordered so that each consecutive group of ``batch_size`` holds clips of
    similar length, the groups in random order (the last, possibly short, group stays last).

    Args:
        indices: (N,) clip indices, in any order.
        lengths: lengths of every clip, indexed by clip index.
        batch_size: clips a batch.
        rng: the source of the jitter and of the order of the batches.
        jitter: lengths are sorted after adding uniform noise in [0, jitter).
    """
    indices = np.asarray(indices, dtype=np.int64)
    keys = lengths[indices] + rng.uniform(0.0, jitter, len(indices))
    ordered = indices[np.argsort(keys, kind="stable")]
    full = len(ordered) // batch_size * batch_size
    batches = ordered[:full].reshape(-1, batch_size)
    batches = batches[rng.permutation(len(batches))]
    return batches.reshape(-1).tolist() + ordered[full:].tolist()
