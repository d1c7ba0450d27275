"""Waveform augmentation: voices and rooms a model never heard, made from the ones it did.

Which transforms run, and how strongly, is an :class:`~selftalk.config.AugmentConfig`.

Every transform maps (S,) float32 audio at 16 kHz to audio of the same rate; all but
:func:`speed` keep the duration, so the motion of a clip still matches its audio. Randomness
comes only from the ``numpy.random.Generator`` passed in, so a seed fixes everything.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from selftalk.audio import SAMPLE_RATE, resample
from selftalk.config import AugmentConfig


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White, pink or brown noise at ``snr_db`` below the speech power."""
    colour = rng.integers(3)
    noise = rng.standard_normal(len(audio))
    if colour:  # 1/f (pink) or 1/f² (brown) spectrum, shaped in the frequency domain
        spectrum = np.fft.rfft(noise)
        freqs = np.maximum(np.fft.rfftfreq(len(noise)), 1.0 / len(noise))
        noise = np.fft.irfft(spectrum / freqs ** (colour / 2), n=len(noise))
    power = np.mean(audio**2) + 1e-12
    noise *= np.sqrt(power / (np.mean(noise**2) + 1e-12) / 10 ** (snr_db / 10))
    return (audio + noise).astype(np.float32)


def reverberate(
    audio: np.ndarray, rt60: float, rng: np.random.Generator, wet: float = 0.5
) -> np.ndarray:
    """Convolve with a synthetic room impulse response (exponentially decaying noise)."""
    n = max(16, int(rt60 * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    response = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    response[0] = 1.0 / wet
    response /= np.sqrt(np.sum(response**2))
    out = signal.fftconvolve(audio, response)[: len(audio)]
    return (out * np.sqrt((np.mean(audio**2) + 1e-12) / (np.mean(out**2) + 1e-12))).astype(
        np.float32
    )


def telephone(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Band-limit to 300-3400 Hz through an 8 kHz channel, with optional μ-law quantisation."""
    sos = signal.butter(4, [300, 3400], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    narrow = resample(signal.sosfilt(sos, audio).astype(np.float32), SAMPLE_RATE, 8000)
    if rng.random() < 0.5:
        peak = np.max(np.abs(narrow)) + 1e-9
        mu = np.sign(narrow / peak) * np.log1p(255 * np.abs(narrow / peak)) / np.log1p(255)
        mu = np.round(mu * 127) / 127
        narrow = peak * np.sign(mu) * np.expm1(np.abs(mu) * np.log1p(255)) / 255
    out = resample(narrow.astype(np.float32), 8000, SAMPLE_RATE)
    return _fit(out, len(audio))


def gain(audio: np.ndarray, db: float, *, clip: bool = True) -> np.ndarray:
    """Louder or quieter by ``db``; clipped to [-1, 1] as a recording would be."""
    out = audio * 10 ** (db / 20)
    return (np.clip(out, -1.0, 1.0) if clip else out).astype(np.float32)


def speed(audio: np.ndarray, factor: float) -> np.ndarray:
    """Play ``factor`` times faster (pitch and tempo change together; duration / factor)."""
    return resample(audio, int(round(SAMPLE_RATE * factor)), SAMPLE_RATE)


def pitch_shift(audio: np.ndarray, semitones: float) -> np.ndarray:
    """Shift pitch, keep duration: resample, then stretch back with a phase vocoder."""
    factor = 2 ** (semitones / 12)
    shifted = speed(audio, factor)  # higher pitch, shorter
    return _fit(_stretch(shifted, len(audio)), len(audio))


def _stretch(audio: np.ndarray, length: int, n_fft: int = 512, hop: int = 128) -> np.ndarray:
    """Phase-vocoder time stretch of ``audio`` to about ``length`` samples."""
    _, _, spec = signal.stft(audio, nperseg=n_fft, noverlap=n_fft - hop)
    rate = len(audio) / max(length, 1)
    steps = np.arange(0, spec.shape[1] - 1, rate)
    phase_advance = np.linspace(0, np.pi * hop, spec.shape[0])
    phase = np.angle(spec[:, 0])
    out = np.empty((spec.shape[0], len(steps)), complex)
    for i, step in enumerate(steps):
        left, frac = int(step), step - int(step)
        a, b = spec[:, left], spec[:, left + 1]
        out[:, i] = ((1 - frac) * np.abs(a) + frac * np.abs(b)) * np.exp(1j * phase)
        delta = np.angle(b) - np.angle(a) - phase_advance
        phase += phase_advance + (delta - 2 * np.pi * np.round(delta / (2 * np.pi)))
    _, stretched = signal.istft(out, nperseg=n_fft, noverlap=n_fft - hop)
    return stretched.astype(np.float32)


def _fit(audio: np.ndarray, length: int) -> np.ndarray:
    out = np.zeros(length, np.float32)
    out[: min(length, len(audio))] = audio[:length]
    return out


def augment(audio: np.ndarray, config: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """A randomly augmented copy of (S,) 16 kHz audio (duration kept unless ``p_speed`` > 0)."""
    audio = np.asarray(audio, np.float32)
    if rng.random() < config.p_speed:
        audio = speed(audio, rng.uniform(*config.speed))
    if rng.random() < config.p_pitch:
        audio = pitch_shift(audio, rng.uniform(*config.semitones))
    if rng.random() < config.p_reverb:
        audio = reverberate(audio, rng.uniform(*config.rt60), rng)
    if rng.random() < config.p_telephone:
        audio = telephone(audio, rng)
    if rng.random() < config.p_noise:
        audio = add_noise(audio, rng.uniform(*config.snr_db), rng)
    if rng.random() < config.p_gain:
        peak = np.max(np.abs(audio)) + 1e-9
        audio = gain(audio / peak * 0.5, rng.uniform(*config.gain_db))
    return audio.astype(np.float32)


def augment_batch(batch, config: AugmentConfig, rng: np.random.Generator):
    """A copy of a :class:`~selftalk.data.batch.Batch` whose audio is augmented clip by clip
    and normalised again (durations, motion and templates unchanged)."""
    import dataclasses

    import torch

    from selftalk.audio import normalize

    audio = batch.audio.clone()
    for i in range(len(batch)):
        n = int(batch.audio_lengths[i])
        clip = augment(batch.audio[i, :n].cpu().numpy(), config, rng)
        audio[i, :n] = torch.from_numpy(normalize(clip)).to(audio.device)
    return dataclasses.replace(batch, audio=audio)
