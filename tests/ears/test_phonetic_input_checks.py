"""predict_motion checks its inputs for an animator that hears phonemes as for a wav2vec 2.0
one (the error contract, root causes 1 and 9): audio too short for a frame and audio whose
motion would not fit in memory are one-line InputErrors naming the audio (needs hama)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_module
from test_phonetic_animator import random_model

from selftalk.errors import InputError
from selftalk.inference import predict
from selftalk.inference.phonetic_stream import predict_phonetic


@pytest.fixture(scope="module")
def model():
    require_module("hama")
    return random_model()


def test_frame_counts_are_the_phonetic_streams(model):
    template = np.zeros((64, 3), np.float32)
    rng = np.random.default_rng(0)
    for n in (predict.min_samples(model), 4_321, 16_000):
        audio = rng.normal(0, 0.1, n).astype(np.float32)
        assert len(predict_phonetic(model, audio, template)) == predict.total_frames(model, n)
    assert predict.total_frames(model, predict.min_samples(model) - 1) == 0


def test_too_short_audio_is_refused(model):
    template = np.zeros((64, 3), np.float32)
    short = np.zeros(predict.min_samples(model) - 1, np.float32)
    with pytest.raises(InputError, match="too short for one frame") as error:
        predict.predict_motion(model, short, template, source="tick.wav")
    assert "tick.wav" in str(error.value)


def test_audio_whose_motion_would_not_fit_is_refused(model, monkeypatch):
    template = np.zeros((64, 3), np.float32)
    audio = np.zeros(32_000, np.float32)
    # both copies of the motion the stream holds at the end are counted
    per_second = model.config.fps * 64 * 3 * 4
    assert predict.motion_bytes_per_second(model) >= 2 * per_second
    monkeypatch.setattr(predict, "available_memory", lambda: int(per_second))  # ~1 s of motion
    with pytest.raises(InputError, match="would not fit") as error:
        predict.predict_motion(model, audio, template, source="long.wav")
    assert "long.wav" in str(error.value)
