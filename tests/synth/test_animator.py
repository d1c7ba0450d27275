import numpy as np
import pytest
from fakespeech import speak

from selftalk.arkit import ALPHABETICAL_INDEX as INDEX
from selftalk.synth.animator import AnimatorOptions, animate, n_frames
from selftalk.synth.head import lip_gap, load_head
from selftalk.synth.phones import TimedPhone
from selftalk.synth.subjects import SpeakingStyle, make_subjects

OPEN_VOWELS = {"AA", "AE", "AO", "AW", "AY"}


@pytest.fixture(scope="module")
def head():
    return load_head()


def _middle_frames(phone: TimedPhone, fps: float, n: int) -> np.ndarray:
    d = phone.end - phone.start
    t = np.arange(n) / fps
    return np.flatnonzero((t >= phone.start + 0.25 * d) & (t <= phone.end - 0.25 * d))


def _weights(utt, style, fps=30.0, seed=0):
    return animate(
        utt.phones,
        utt.duration,
        style=style,
        options=AnimatorOptions(fps=fps, seed=seed),
        audio=utt.audio,
        sample_rate=utt.sample_rate,
    )


@pytest.mark.parametrize("fps", [25.0, 30.0, 60.0])
def test_frame_count_and_range(fps):
    utt = speak("bob saw papa", "fake:v1")
    w = _weights(utt, SpeakingStyle(), fps)
    assert w.shape == (n_frames(utt.duration, fps), 52) and w.dtype == np.float32
    assert abs(len(w) / fps - utt.duration) <= 0.5 / fps
    assert w.min() >= 0 and w.max() <= 1
    assert np.all(w[:, INDEX["mouthClose"]] <= w[:, INDEX["jawOpen"]] + 1e-6)


def test_lips_close_on_bilabials_and_open_on_open_vowels(head):
    """Lip gap on the mesh: shut (< rest + 1 mm) mid /p b m/, open (> rest + 3 mm) mid vowels."""
    neutral = float(lip_gap(head.template[None], head)[0])
    texts = ["bob saw papa", "mom map pop", "hot spa boom", "vast baba woo"]
    for subject in make_subjects(head, 4, seed=11):
        for k, text in enumerate(texts):
            utt = speak(text, f"fake:v{k}")
            w = _weights(utt, subject.style)
            gap = lip_gap(head.pose(w, subject.template), head)
            checked = 0
            for p in utt.phones:
                frames = _middle_frames(p, 30.0, len(w))
                if p.phone in {"P", "B", "M"} and len(frames):
                    assert gap[frames].max() < neutral + 0.001, (subject.name, text, p)
                    checked += 1
                if p.phone in OPEN_VOWELS and len(frames):
                    assert gap[frames].max() > neutral + 0.003, (subject.name, text, p)
                    checked += 1
            assert checked >= 2


def test_rounding_and_lip_teeth_contact():
    utt = speak("food five woo show", "fake:v0")
    w = _weights(utt, SpeakingStyle())
    for p in utt.phones:
        frames = _middle_frames(p, 30.0, len(w))
        if not len(frames):
            continue
        if p.phone in {"UW", "W", "OW"}:
            rounding = w[frames, INDEX["mouthPucker"]] + w[frames, INDEX["mouthFunnel"]]
            assert rounding.max() > 0.4, p
        if p.phone in {"F", "V"}:
            assert w[frames, INDEX["mouthRollLower"]].max() > 0.3, p


def test_same_motion_at_25_30_60_fps():
    utt = speak("papa hot five father", "fake:v2")
    style = SpeakingStyle(coarticulation=1.2)
    w60, w30, w25 = (_weights(utt, style, fps) for fps in (60.0, 30.0, 25.0))
    # frames at the same instants agree exactly: one continuous motion, sampled
    np.testing.assert_allclose(w60[::2][: len(w30)], w30[: len(w60[::2])], atol=1e-6)
    np.testing.assert_allclose(w25[::5][:10], w30[::6][:10], atol=1e-6)
    # smooth: the path length does not grow with the frame rate (jitter would), and no jumps
    mouth = [
        INDEX[n] for n in ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthRollLower")
    ]
    lengths = [np.abs(np.diff(w[:, mouth], axis=0)).sum() for w in (w25, w30, w60)]
    assert max(lengths) / min(lengths) < 1.15
    assert np.abs(np.diff(w60[:, mouth], n=2, axis=0)).max() < 0.25


def test_deterministic_and_seeded_upper_face():
    utt = speak("bob food map papa hot five vast baba woo", "fake:v3")
    style = SpeakingStyle(blink_rate=30)
    a, b = _weights(utt, style, seed=1), _weights(utt, style, seed=1)
    np.testing.assert_array_equal(a, b)
    c = _weights(utt, style, seed=2)
    blink = INDEX["eyeBlinkLeft"]
    assert not np.array_equal(a[:, blink], c[:, blink])
    mouth = INDEX["jawOpen"]
    np.testing.assert_array_equal(a[:, mouth], c[:, mouth])  # the seed only moves the upper face


def test_blink_rate_and_brows_follow_prosody():
    duration = 120.0
    phones = [TimedPhone("SIL", 0.0, duration)]
    style = SpeakingStyle(blink_rate=20)
    w = animate(phones, duration, style=style, options=AnimatorOptions(fps=30, seed=5))
    closed = w[:, INDEX["eyeBlinkLeft"]] > 0.5
    blinks = int(np.sum(closed[1:] & ~closed[:-1]))
    assert 25 <= blinks <= 55  # 20 a minute for 2 minutes, Poisson
    # brows rise where the pitch is high: a rising glide vs a flat tone
    rate = 16000
    t = np.arange(int(2.0 * rate)) / rate
    glide = np.sin(2 * np.pi * np.cumsum(np.where(t < 1, 110, 110 + 150 * (t - 1))) / rate).astype(
        np.float32
    )
    phones = [TimedPhone("AA", 0.0, 2.0)]
    w = animate(
        phones,
        2.0,
        style=SpeakingStyle(brow_gain=0.5),
        options=AnimatorOptions(fps=30),
        audio=glide * 0.3,
        sample_rate=rate,
    )
    brow = w[:, INDEX["browInnerUp"]]
    assert brow[45:60].mean() > brow[5:25].mean() + 0.05
