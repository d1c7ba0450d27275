"""Agreement between two timings of the same utterance (engine timing vs forced alignment)."""

from __future__ import annotations

import numpy as np

from selftalk.synth.phones import SILENCE, TimedPhone


def boundaries(phones: list[TimedPhone]) -> np.ndarray:
    """(B,) times where the phone changes (the ends of the utterance left out)."""
    return np.array(
        [a.end for a, b in zip(phones, phones[1:]) if a.phone != b.phone], dtype=np.float64
    )


def boundary_errors(reference: list[TimedPhone], other: list[TimedPhone]) -> np.ndarray:
    """(B,) |t - nearest boundary of ``other``| for every boundary t of ``reference`` (seconds)."""
    ref, oth = boundaries(reference), boundaries(other)
    if ref.size == 0 or oth.size == 0:
        return np.zeros(0)
    return np.abs(ref[:, None] - oth[None, :]).min(axis=1)


def frame_agreement(a: list[TimedPhone], b: list[TimedPhone], frame: float = 0.01) -> float:
    """Share of ``frame``-second frames whose phone labels agree (speech/silence counted alike)."""
    end = min(a[-1].end, b[-1].end)
    times = np.arange(frame / 2, end, frame)
    if times.size == 0:
        return 1.0
    return float(np.mean(_labels(a, times) == _labels(b, times)))


def speech_agreement(a: list[TimedPhone], b: list[TimedPhone], frame: float = 0.01) -> float:
    """Share of frames on which both agree whether someone is speaking (not SIL)."""
    end = min(a[-1].end, b[-1].end)
    times = np.arange(frame / 2, end, frame)
    if times.size == 0:
        return 1.0
    return float(np.mean((_labels(a, times) == SILENCE) == (_labels(b, times) == SILENCE)))


def _labels(phones: list[TimedPhone], times: np.ndarray) -> np.ndarray:
    ends = np.array([p.end for p in phones])
    index = np.minimum(np.searchsorted(ends, times, side="right"), len(phones) - 1)
    return np.array([phones[i].phone for i in index])
