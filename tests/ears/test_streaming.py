"""Streaming an animator that hears phonemes: the same motion as offline, any chunk size,
bounded buffers (needs hama)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import require_module
from test_phonetic_animator import random_model

from selftalk.inference.phonetic_stream import predict_phonetic


@pytest.fixture(scope="module")
def speech():
    require_module("hama")
    from selftalk.audio import load_audio
    from selftalk.inference.loading import bundled_model_dir

    return load_audio(bundled_model_dir().parents[2].parent / "examples" / "hello.wav")[:40_000]


def stream(model, audio, template, chunk, core=None):
    session = model.stream_session(template, core=core)
    out = [session.push(audio[i : i + chunk]) for i in range(0, len(audio), chunk)]
    out.append(session.flush())
    return np.concatenate(out)


def test_offline_equals_one_pass(speech):
    model = random_model()
    template = np.zeros((64, 3), np.float32)
    whole = model(model.hear(speech)[None], torch.from_numpy(template)[None]).vertices[0]
    np.testing.assert_allclose(
        predict_phonetic(model, speech, template), whole.detach().numpy(), atol=1e-4
    )


@pytest.mark.parametrize("chunk", [1, 320, 7_777, 160_000])
def test_any_chunk_size_gives_the_offline_motion(speech, chunk):
    model = random_model()
    template = np.random.default_rng(0).normal(0, 0.01, (64, 3)).astype(np.float32)
    offline = predict_phonetic(model, speech, template)
    audio = speech if chunk > 1 else speech[:6_000]  # one sample at a time: a shorter clip
    expected = offline if chunk > 1 else predict_phonetic(model, audio, template)
    streamed = stream(model, audio, template, chunk)
    assert streamed.shape == expected.shape
    np.testing.assert_allclose(streamed, expected, atol=1e-4)


def test_a_deeper_decoder_streams_its_offline_motion(speech):
    """Each decoder layer reaches one attention window further back: the stream keeps them all."""
    model = random_model(decoder_layers=2, attention_window=4)
    template = np.zeros((64, 3), np.float32)
    whole = model(model.hear(speech)[None], torch.from_numpy(template)[None]).vertices[0]
    streamed = stream(model, speech, template, 320)
    np.testing.assert_allclose(streamed, whole.detach().numpy(), atol=1e-4)


@pytest.mark.parametrize("chunk", [320, 7_777])
def test_ears_without_right_context_stream_their_offline_motion(speech, chunk):
    """The bundled model hears through windows with no right context (the stream's latency)."""
    from selftalk.config import PhonemeRecognizerConfig

    model = random_model(ears=PhonemeRecognizerConfig(left_context=16, right_context=0))
    template = np.zeros((64, 3), np.float32)
    offline = predict_phonetic(model, speech, template)
    session = model.stream_session(template, core=100)
    assert session.ears.lookahead == pytest.approx(0.01)  # half a 20 ms frame
    np.testing.assert_allclose(stream(model, speech, template, chunk), offline, atol=1e-4)


def test_small_cores_hear_almost_the_same(speech):
    model = random_model()
    template = np.zeros((64, 3), np.float32)
    offline = predict_phonetic(model, speech, template)
    fast = stream(model, speech, template, 320, core=5)
    assert fast.shape == offline.shape
    assert not np.allclose(fast, offline)  # other windows, other posteriors


def test_cores_ready_together_share_one_window(speech):
    """A stream that falls behind (or a long chunk) hears the whole cores that are ready in
    one recognizer window, up to the offline core: fewer calls, the same frames."""
    model = random_model()
    template = np.zeros((64, 3), np.float32)
    calls = []
    window = model.ears.window
    model.ears.window = lambda *a, **k: calls.append(a[2]) or window(*a, **k)
    paced = stream(model, speech[:16_000], template, 320, core=5)
    paced_calls, calls[:] = list(calls), []
    behind = stream(model, speech[:16_000], template, 16_000, core=5)
    assert set(paced_calls[:-1]) == {5}  # one core a call at real-time pace
    assert calls == [45, 5, 1]  # 1 s at once: one window, then the flush
    assert len(paced_calls) == 11
    assert behind.shape == paced.shape


@pytest.mark.parametrize("phase", [1, 3])
def test_a_phase_shifts_the_cores_by_whole_frames(speech, phase):
    """A server staggers its streams: with ``phase`` p the first core is p frames short, and
    every later one ends where (frame + p) % core == 0; the motion stays the same length."""
    model = random_model()
    template = np.zeros((64, 3), np.float32)
    calls = []
    window = model.ears.window
    model.ears.window = lambda *a, **k: calls.append((a[1], a[2])) or window(*a, **k)
    shifted = model.stream_session(template, core=5, phase=phase)
    out = [shifted.push(speech[i : i + 320]) for i in range(0, 16_000, 320)]
    paced = np.concatenate([*out, shifted.flush()])
    assert calls[0] == (0, 5 - phase)
    assert all((first + phase) % 5 == 0 and count == 5 for first, count in calls[1:-1])
    assert paced.shape == stream(model, speech[:16_000], template, 320, core=5).shape
    with pytest.raises(ValueError, match="phase"):
        model.stream_session(template, core=5, phase=5)


def test_buffers_stay_bounded(speech):
    model = random_model()
    session = model.stream_session(np.zeros((64, 3), np.float32), core=10)
    sizes = []
    for _ in range(6):  # about 15 s of speech, 20 ms at a time
        for i in range(0, len(speech), 320):
            session.push(speech[i : i + 320])
        sizes.append((len(session.ears.audio), session.motion.hidden.shape[1]))
    assert sizes[-1][0] <= sizes[1][0] + 320 * 12 and sizes[-1][1] <= sizes[1][1] + 12


def test_a_smoothing_model_streams_its_offline_motion(speech):
    """``animator.smoothing`` low-passes offline motion, and a stream gives the same frames
    one frame later."""
    from conftest import random_phoneme_model
    from scipy.ndimage import convolve1d

    from selftalk.inference.predict import predict_motion
    from selftalk.models.smoothing import binomial_kernel
    from selftalk.streaming import open_session

    rough, smooth = random_phoneme_model(), random_phoneme_model(smoothing=3)
    template = np.random.default_rng(0).normal(0, 0.01, (64, 3)).astype(np.float32)
    raw = predict_motion(rough, speech, template)
    offline = predict_motion(smooth, speech, template)
    filtered = convolve1d(raw, binomial_kernel(3), axis=0, mode="nearest")
    np.testing.assert_allclose(offline, filtered, atol=1e-5)
    assert np.abs(offline - raw).max() > 1e-3  # the filter did something
    block = smooth.config.animator.ears.core / 50  # the offline windows: the same hearing
    session = open_session(smooth, template, block=block)
    assert session.lookahead == pytest.approx(
        open_session(rough, template, block=block).lookahead + 1 / smooth.config.fps
    )
    parts = [session.push(speech[i : i + 777]) for i in range(0, len(speech), 777)]
    streamed = np.concatenate([*parts, session.flush()])
    np.testing.assert_allclose(streamed, offline, atol=1e-4)
    # an exported graph's contract tells its users to filter after the graph
    assert smooth.inference_contract().extra["smoothing"] == {
        "taps": 3,
        "kernel": [0.25, 0.5, 0.25],
    }
    assert "smoothing" not in rough.inference_contract().extra
