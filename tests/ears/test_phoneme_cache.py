"""The training cache of the phoneme recognizer: clean clips, augmented and stream variants,
filled by worker processes (needs hama)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_module

from selftalk.config import PhonemeRecognizerConfig, robust_augmentation


@pytest.fixture(scope="module")
def recognizer():
    require_module("hama")
    from selftalk.models.phoneme_recognizer import PhonemeRecognizer

    return PhonemeRecognizer(PhonemeRecognizerConfig(core=20), threads=1)


def clips():
    rng = np.random.default_rng(0)
    t = np.arange(12_000) / 16_000
    return [
        (
            f"s{i}_c",
            (
                0.2 * np.sin(2 * np.pi * (150 + 40 * i) * t) + 0.01 * rng.standard_normal(len(t))
            ).astype(np.float32),
        )
        for i in range(3)
    ]


def test_variants_and_workers(recognizer, tmp_path):
    from selftalk.models.phoneme_recognizer import analyse
    from selftalk.training.phoneme_cache import PhonemeCache

    cache = PhonemeCache(
        tmp_path, recognizer, augment=robust_augmentation(), variants=2, stream_core=5
    )
    assert cache.count == 4
    cache.fill(clips(), workers=2, progress=False)
    assert len(list(cache.directory.glob("*.safetensors"))) == 3 * 4
    name, audio = clips()[0]
    clean, stream = cache.entry(audio, name, 0), cache.entry(audio, name, 3)
    np.testing.assert_array_equal(clean["log_probs"], analyse(recognizer, audio)["log_probs"])
    np.testing.assert_array_equal(
        stream["log_probs"], analyse(recognizer, audio, core=5)["log_probs"]
    )
    augmented = cache.entry(audio, name, 1)
    assert augmented["log_probs"].shape == clean["log_probs"].shape
    assert not np.array_equal(augmented["prosody"], clean["prosody"])
    # variants are a function of the clip: a second cache computes the same ones
    again = PhonemeCache(tmp_path / "other", recognizer, augment=robust_augmentation(), variants=2)
    np.testing.assert_array_equal(
        again.entry(audio, name, 2)["prosody"], cache.entry(audio, name, 2)["prosody"]
    )
