"""The models shipped inside the package, the bundled model and the bundled streaming model:
present, small, and their lips follow speech."""

from pathlib import Path

import numpy as np
import pytest
import soundfile

from selftalk.inference.loading import bundled_model_dir, load_model
from selftalk.inference.predict import predict_motion
from selftalk.synth.head import lip_gap, load_head

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello.wav"
BOTH = pytest.mark.parametrize("streaming", [False, True], ids=["offline", "streaming"])


def test_bundled_weights_fit_the_size_budget():
    assets = bundled_model_dir().parent
    weights = list(assets.glob("*/model.safetensors"))
    assert {w.parent.name for w in weights} == {"model", "stream-model"}  # ears: hama's wheel
    assert sum(w.stat().st_size for w in weights) <= 25e6


def test_the_streaming_model_reads_less_far_ahead():
    """Offline, the animator reads 120 ms past each frame; the model that streams reads 40 ms
    (docs/bundled-model.md: the lips lead the sound, and a stream waits for what it reads)."""
    offline, streaming = (load_model(streaming=s).model.config for s in (False, True))
    assert (offline.animator.lookahead, streaming.animator.lookahead) == (6, 2)
    assert bundled_model_dir(streaming=True) != bundled_model_dir()


@BOTH
def test_bundled_model_hears_through_the_pinned_phoneme_recognizer(streaming):
    from importlib.metadata import version

    config = load_model(streaming=streaming).model.config
    assert config.animator.input == "phonemes"
    assert version("hama") == "1.7.0"  # the exact recognizer outputs it was trained on


@BOTH
def test_bundled_model_animates_the_bundled_head(streaming):
    loaded = load_model(streaming=streaming)
    head = load_head()
    assert loaded.model.config.n_vertices == len(head.template)
    assert np.allclose(loaded.template(), head.template, atol=1e-6)
    assert len(loaded.templates) == 12  # the SynthTalk subjects it was trained on


@BOTH
def test_bundled_model_opens_and_closes_the_mouth_with_speech_only(streaming):
    loaded = load_model(streaming=streaming)
    template = loaded.template()
    speech, rate = soundfile.read(EXAMPLE, dtype="float32")
    silence = np.random.default_rng(0).normal(0, 1e-4, len(speech)).astype(np.float32)
    talking = lip_gap(predict_motion(loaded.model, speech, template), load_head())
    quiet = lip_gap(predict_motion(loaded.model, silence, template), load_head())
    assert rate == 16_000 and abs(len(talking) - len(speech) * 30 / rate) <= 1
    assert np.ptp(np.percentile(talking, [5, 95])) > 0.005  # opens by more than 5 mm
    assert talking.std() > 3 * quiet.std()
