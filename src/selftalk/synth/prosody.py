"""Loudness and pitch tracks of speech, which drive the brows and eyes of the animator.

A short autocorrelation pitch tracker (normalised autocorrelation peak in 70-400 Hz) is
written here rather than taken from a library: the animator needs only a coarse, robust
contour, and this keeps librosa/praat out of the dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOP = 0.01  # seconds between analysis frames


@dataclass(frozen=True, kw_only=True)
class Prosody:
    """Tracks every ``HOP`` seconds: ``energy_db`` (N,), ``f0`` (N,) in Hz (0 where unvoiced)."""

    energy_db: np.ndarray
    f0: np.ndarray

    @property
    def times(self) -> np.ndarray:
        return (np.arange(len(self.f0)) + 0.5) * HOP


def analyse(audio: np.ndarray, sample_rate: int) -> Prosody:
    """(S,) mono audio → energy (dB re full scale) and pitch tracks."""
    audio = np.asarray(audio, dtype=np.float64).reshape(-1)
    hop = max(1, int(round(HOP * sample_rate)))
    win = int(round(0.04 * sample_rate))
    n = max(1, int(np.ceil(len(audio) / hop)))
    padded = np.pad(audio, (win // 2, win + n * hop))
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[::hop][:n]
    frames = frames - frames.mean(axis=1, keepdims=True)
    energy_db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)

    windowed = frames * np.hanning(win)
    spectrum = np.fft.rfft(windowed, n=2 * win, axis=1)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :win]
    acf /= acf[:, :1] + 1e-12
    lo, hi = int(sample_rate / 400), min(win - 1, int(sample_rate / 70))
    lag = lo + np.argmax(acf[:, lo:hi], axis=1)
    peak = acf[np.arange(n), lag]
    voiced = (peak > 0.45) & (energy_db > energy_db.max() - 35)
    f0 = np.where(voiced, sample_rate / lag, 0.0)
    return Prosody(energy_db=energy_db.astype(np.float32), f0=f0.astype(np.float32))


def emphasis(prosody: Prosody) -> np.ndarray:
    """(N,) non-negative prominence: high pitch and loudness relative to the utterance, z-units."""
    f0 = prosody.f0
    voiced = f0 > 0
    pitch = np.zeros_like(f0)
    if voiced.sum() >= 3:
        semitones = 12 * np.log2(f0[voiced])
        pitch[voiced] = (semitones - np.median(semitones)) / (semitones.std() + 1.0)
    e = prosody.energy_db
    loud = (e - np.median(e)) / (e.std() + 1e-6)
    return np.clip(0.7 * pitch + 0.3 * np.clip(loud, 0, None), 0, 3).astype(np.float32)
