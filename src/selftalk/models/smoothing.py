"""A short binomial low-pass over output frames (``model.animator.smoothing`` taps).

A trained animator's mouth can carry more 4–10 Hz motion than speech makes: frame-to-frame
jitter that costs accuracy and looks busy. Filtering each vertex over time with the binomial
kernel of ``taps`` (odd) weights, ``[1, 2, 1] / 4`` for 3, removes it at the price of
``taps // 2`` frames of look-ahead. The clip's first and last frames are repeated beyond its
ends (``scipy.ndimage`` ``mode="nearest"``).

One implementation serves offline and streaming: :class:`MotionSmoother` takes frames in
chunks of any size and hands each out once its later neighbours have arrived, so a stream and
a whole clip give the same frames; :func:`smooth_motion` runs it over a clip in place.
"""

from __future__ import annotations

import math

import numpy as np


def binomial_kernel(taps: int) -> np.ndarray:
    """(taps,) float32 weights ``C(taps-1, i) / 2^(taps-1)``; ``taps`` odd and positive."""
    if taps < 1 or taps % 2 == 0:
        raise ValueError(f"smoothing taps must be odd and positive, got {taps}")
    weights = np.array([math.comb(taps - 1, i) for i in range(taps)], np.float64)
    return (weights / weights.sum()).astype(np.float32)


class MotionSmoother:
    """(k, V, 3) frames in, the same frames low-passed out, ``reach = taps // 2`` frames later.

    ``push(frames)`` returns the frames whose later neighbours have all arrived (k may be 0);
    ``flush()`` the rest, with the last frame repeated beyond the end.
    """

    def __init__(self, taps: int):
        self.kernel = binomial_kernel(taps)
        self.reach = taps // 2
        self._held: np.ndarray | None = None  # (reach + pending, V, 3): context, then pending
        self._pending = 0  # frames received but not yet handed out

    def push(self, frames: np.ndarray) -> np.ndarray:
        frames = np.asarray(frames, np.float32)
        if self.reach == 0 or len(frames) == 0:
            return frames
        if self._held is None:  # the first frame, repeated before the start
            self._held = np.repeat(frames[:1], self.reach, axis=0)
        self._held = np.concatenate([self._held, frames])
        self._pending += len(frames)
        return self._emit(self._pending - self.reach)

    def flush(self) -> np.ndarray:
        """The frames still held (none if nothing arrived: then shaped (0, 0, 3))."""
        if self._held is None or self._pending == 0:
            shape = self._held.shape[1:] if self._held is not None else (0, 3)
            return np.zeros((0, *shape), np.float32)
        tail = np.repeat(self._held[-1:], self.reach, axis=0)  # the last frame, repeated
        self._held = np.concatenate([self._held, tail])
        self._pending += self.reach
        return self._emit(self._pending - self.reach)

    def _emit(self, count: int) -> np.ndarray:
        """Filter the first ``count`` pending frames; keep ``2 reach`` frames of context."""
        if count <= 0:
            return self._held[:0]
        held, taps = self._held, len(self.kernel)
        out = self.kernel[0] * held[:count]
        for j in range(1, taps):
            out += self.kernel[j] * held[j : j + count]
        self._held = held[count:]
        self._pending -= count
        return out


def smooth_motion(motion: np.ndarray, taps: int, *, block: int = 64) -> np.ndarray:
    """Low-pass (T, V, 3) ``motion`` in place (``block`` frames copied at a time); returns it."""
    if taps <= 1 or len(motion) == 0:
        return motion
    if not motion.flags.writeable:
        motion = motion.copy()
    smoother, written = MotionSmoother(taps), 0
    for start in range(0, len(motion), block):
        done = smoother.push(motion[start : start + block].copy())
        motion[written : written + len(done)] = done
        written += len(done)
    done = smoother.flush()
    motion[written : written + len(done)] = done
    return motion
