import numpy as np
import pytest

from selftalk.config import AugmentConfig
from selftalk.training import augment as aug

RATE = 16_000


def tone(freq=220.0, seconds=1.0):
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_frequency(x):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spectrum) * RATE / len(x)


def test_noise_has_the_asked_snr():
    x = tone()
    rng = np.random.default_rng(0)
    noisy = aug.add_noise(x, 10.0, rng)
    snr = 10 * np.log10(np.mean(x**2) / np.mean((noisy - x) ** 2))
    assert snr == pytest.approx(10.0, abs=0.01)


def test_pitch_shift_keeps_duration_and_moves_the_pitch():
    x = tone(220.0)
    up = aug.pitch_shift(x, 12.0)
    assert len(up) == len(x)
    assert peak_frequency(up[2000:-2000]) == pytest.approx(440.0, rel=0.03)


def test_speed_changes_duration():
    assert len(aug.speed(tone(), 1.25)) == pytest.approx(RATE / 1.25, abs=2)


def test_telephone_removes_high_frequencies():
    x = tone(6000.0)
    out = aug.telephone(x, np.random.default_rng(1))
    assert len(out) == len(x) and np.sqrt(np.mean(out**2)) < 0.01 * np.sqrt(np.mean(x**2))
    speech_band = aug.telephone(tone(1000.0), np.random.default_rng(1))
    assert np.sqrt(np.mean(speech_band**2)) > 0.5 * np.sqrt(np.mean(tone(1000.0) ** 2))


def test_reverb_keeps_length_and_level():
    x = tone()
    out = aug.reverberate(x, 0.4, np.random.default_rng(2))
    assert len(out) == len(x)
    assert np.mean(out**2) == pytest.approx(np.mean(x**2), rel=1e-3)


def test_augmentation_is_deterministic_and_keeps_duration():
    x = tone()
    a = AugmentConfig(p_noise=1, p_reverb=1, p_telephone=1, p_pitch=1, p_gain=1)
    one = aug.augment(x, a, np.random.default_rng(5))
    two = aug.augment(x, a, np.random.default_rng(5))
    assert np.array_equal(one, two) and len(one) == len(x) and np.all(np.abs(one) <= 1)
    assert not np.allclose(one, x)
