"""hama as the package's ears: windows, streams, features, targets (needs the hama package)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_module

from selftalk.config import PhonemeRecognizerConfig
from selftalk.errors import InputError
from selftalk.phonetics import ReadingVocabulary


@pytest.fixture(scope="module")
def recognizer():
    require_module("hama")
    from selftalk.models.phoneme_recognizer import PhonemeRecognizer

    return PhonemeRecognizer(PhonemeRecognizerConfig(left_context=8, core=20, right_context=6))


@pytest.fixture(scope="module")
def speech():
    from selftalk.audio import load_audio
    from selftalk.inference.loading import bundled_model_dir

    return load_audio(bundled_model_dir().parents[2].parent / "examples" / "hello.wav")


def test_frames_and_windows(recognizer, speech):
    audio = speech[:50_000]
    log_probs = recognizer.log_probs(audio)
    assert log_probs.shape == (50_000 // 320 + 1, recognizer.vocab_size)
    np.testing.assert_allclose(np.exp(log_probs).sum(1), 1, atol=1e-4)
    # a window equals the frames of the whole run that share its core
    assert np.array_equal(recognizer.window(audio, 40, 20), log_probs[40:60])
    # the same window from a buffer that forgot the past
    origin = 40 - 8
    part = recognizer.window(
        audio[origin * 320 : (40 + 20 + 6) * 320], 40, 20, final=False, origin=origin
    )
    assert np.array_equal(part, log_probs[40:60])
    with pytest.raises(ValueError):
        recognizer.window(audio[origin * 320 :], 30, 5, origin=origin)


def test_it_hears_speech(recognizer, speech):
    log_probs = recognizer.log_probs(speech)
    tokens = log_probs.argmax(1)
    spoken = [recognizer.tokens[t] for t in tokens if t != recognizer.blank]
    assert len(spoken) > 30  # hello.wav says 22 words
    assert (tokens[:5] == recognizer.blank).all()  # it starts with silence


def test_features_and_targets(recognizer, speech):
    from selftalk.models.phoneme_recognizer import analyse

    features = recognizer.features(speech)
    assert features.shape[1] == recognizer.vocab_size + 11
    assert features[:, : recognizer.vocab_size].min() >= -1.0
    entry = analyse(recognizer, speech)
    vocabulary = ReadingVocabulary("visemes")
    tokens, frames = recognizer.targets(
        entry["log_probs"].astype(np.float32), entry["prosody"][:, 0], vocabulary
    )
    assert tokens.shape == frames.shape == (len(features),)
    sil = vocabulary.of_phone("SIL")
    assert frames[:5].tolist() == [sil] * 5  # leading silence
    assert 0 not in frames  # every frame has a class
    assert len(set(frames.tolist())) > 6


def test_nearest_emission():
    from selftalk.models.phoneme_recognizer import nearest_emission

    ids = np.array([0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0])
    assert nearest_emission(ids, 2).tolist() == [3, 3, 3, 3, 3, 5, 5, 5, 5, 0, 0, 0, 0, 0]
    assert nearest_emission(np.zeros(4, int), 3).tolist() == [0, 0, 0, 0]


def test_missing_weights_file(tmp_path):
    require_module("hama")
    from selftalk.models.phoneme_recognizer import PhonemeRecognizer

    with pytest.raises(InputError, match="no such"):
        PhonemeRecognizer(PhonemeRecognizerConfig(weights=str(tmp_path / "x.hama")))
    bad = tmp_path / "bad.hama"
    bad.write_bytes(b"not a model")
    with pytest.raises(InputError, match="cannot load"):
        PhonemeRecognizer(PhonemeRecognizerConfig(weights=str(bad)))
