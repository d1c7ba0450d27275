"""Prosody features of speech at 50 Hz: loudness, spectral shape and voicing (numpy, no state).

Frame k looks only at the 40 ms of audio centred on sample 320·k (the phoneme recognizer's
frame centres), so the features of a stream equal those of the whole file; a frame needs the
20 ms of audio after its centre (half a window).

Per frame (11 values, roughly within [-1, 1]):
  0     level: RMS in dB full scale, (dB + 50) / 25
  1–8   log energy of 8 mel-spaced bands (80 Hz – 7.6 kHz) relative to the whole frame, / 4
  9     voicing: the normalised autocorrelation peak over pitch lags of 60–400 Hz, in [0, 1]
  10    pitch: log2(f0 / 150 Hz) where voiced (voicing > 0.3), else 0
"""

from __future__ import annotations

import numpy as np

from selftalk.audio import SAMPLE_RATE

HOP = 320
WINDOW = 640
N_FEATURES = 11
N_BANDS = 8
_MIN_LAG, _MAX_LAG = SAMPLE_RATE // 400, SAMPLE_RATE // 60


def frame_count(n_samples: int) -> int:
    """Frames of ``n_samples`` of 16 kHz audio: one per 320 samples, centred, as the phoneme
    recognizer counts them (n // 320 + 1)."""
    return n_samples // HOP + 1


def framed(audio: np.ndarray, first: int, count: int) -> np.ndarray:
    """(count, 640) windows centred on samples 320·k for k = first … first+count-1, with
    zeros beyond the audio."""
    start = first * HOP - WINDOW // 2
    span = (count - 1) * HOP + WINDOW
    padded = np.zeros(span, np.float32)
    lo, hi = max(start, 0), min(start + span, len(audio))
    if hi > lo:
        padded[lo - start : hi - start] = audio[lo:hi]
    strides = (padded.strides[0] * HOP, padded.strides[0])
    return np.lib.stride_tricks.as_strided(padded, (count, WINDOW), strides, writeable=False)


def _mel_bands() -> np.ndarray:
    """(N_BANDS, 321) 0/1 matrix of the rfft bins in each mel-spaced band."""
    mel = lambda hz: 2595 * np.log10(1 + hz / 700)  # noqa: E731
    edges = 700 * (10 ** (np.linspace(mel(80), mel(7600), N_BANDS + 1) / 2595) - 1)
    freqs = np.fft.rfftfreq(WINDOW, 1 / SAMPLE_RATE)
    return np.stack([(freqs >= lo) & (freqs < hi) for lo, hi in zip(edges[:-1], edges[1:])])


_BANDS = _mel_bands().astype(np.float32)
_HANN = np.hanning(WINDOW).astype(np.float32)


def prosody_features(audio: np.ndarray, first: int = 0, count: int | None = None) -> np.ndarray:
    """Features of frames ``first`` … ``first + count - 1`` of (S,) 16 kHz audio → (count, 11).

    ``count`` defaults to every frame of the audio (:func:`frame_count`).
    """
    audio = np.asarray(audio, np.float32)
    if count is None:
        count = frame_count(len(audio)) - first
    frames = framed(audio, first, count)
    power = np.mean(frames**2, axis=1) + 1e-10
    level = (10 * np.log10(power) + 50) / 25
    spectrum = np.abs(np.fft.rfft(frames * _HANN, axis=1)) ** 2
    bands = spectrum @ _BANDS.T + 1e-10
    shape = (np.log10(bands) - np.log10(bands.sum(1, keepdims=True))) / 4
    voicing, pitch = _voicing(frames)
    out = np.concatenate([level[:, None], shape, voicing[:, None], pitch[:, None]], axis=1)
    return np.clip(out, -4, 4).astype(np.float32)


def _voicing(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised autocorrelation peak over pitch lags and log2(f0 / 150) where voiced."""
    centred = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=2 * WINDOW, axis=1)
    corr = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, : _MAX_LAG + 1]
    energy = corr[:, :1] + 1e-8
    lags = corr[:, _MIN_LAG:] / energy
    # unbiased: divide by the overlap that each lag leaves
    lags = lags * (WINDOW / (WINDOW - np.arange(_MIN_LAG, _MAX_LAG + 1)))
    best = np.argmax(lags, axis=1)
    peak = np.clip(lags[np.arange(len(lags)), best], 0.0, 1.0)
    silent = energy[:, 0] < WINDOW * 1e-7
    peak[silent] = 0.0
    f0 = SAMPLE_RATE / (best + _MIN_LAG)
    pitch = np.where(peak > 0.3, np.log2(f0 / 150.0), 0.0)
    return peak.astype(np.float32), pitch.astype(np.float32)
