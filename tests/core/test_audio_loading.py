import numpy as np
import pytest
import soundfile

from selftalk.audio import load_audio, normalize, resample
from selftalk.errors import InputError


def tone(rate, seconds=1.0, freq=440.0):
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_stereo_44k_becomes_16k_mono(tmp_path):
    left, right = tone(44_100), tone(44_100, freq=880)
    soundfile.write(tmp_path / "s.wav", np.stack([left, right], 1), 44_100)
    audio = load_audio(tmp_path / "s.wav")
    assert audio.dtype == np.float32 and audio.shape == (16_000,)
    expected = resample((left + right) / 2, 44_100)
    np.testing.assert_allclose(audio, expected, atol=1e-4)


def test_resampling_keeps_a_tone(tmp_path):
    out = resample(tone(8_000, freq=300), 8_000)
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) * 16_000 / len(out) - 300) < 2


def test_normalize_is_zero_mean_unit_variance():
    x = normalize(tone(16_000) + 3)
    assert abs(x.mean()) < 1e-5 and abs(x.std() - 1) < 1e-3


def test_bad_audio_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no such audio file"):
        load_audio(tmp_path / "missing.wav")
    (tmp_path / "junk.wav").write_bytes(b"RIFF....garbage")
    with pytest.raises(InputError, match="junk.wav: not a readable audio file"):
        load_audio(tmp_path / "junk.wav")
    soundfile.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16_000)
    with pytest.raises(InputError, match="no audio samples"):
        load_audio(tmp_path / "empty.wav")
