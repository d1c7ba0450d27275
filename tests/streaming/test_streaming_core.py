"""The streaming core: sessions, chunking, parity with offline, bounded memory."""

import tracemalloc

import numpy as np
import pytest
import soundfile
from streaming_fixtures import speech, tiny_model

from selftalk.errors import ConfigError, StreamError
from selftalk.inference.predict import predict_motion
from selftalk.streaming import Streamer, open_session
from selftalk.streaming.windowed import WindowedStreamSession, WindowOptions


def stream(session, audio, chunk):
    out = [session.push(audio[i : i + chunk]) for i in range(0, len(audio), chunk)]
    out.append(session.flush())
    return np.concatenate(out)


@pytest.fixture(scope="module")
def model():
    return tiny_model()


@pytest.fixture(scope="module")
def template():
    return np.random.default_rng(1).normal(0, 0.1, (64, 3)).astype(np.float32)


def test_output_does_not_depend_on_chunk_size(model, template):
    audio = speech(3.0)
    ref = stream(WindowedStreamSession(model, template), audio, 320)
    assert len(ref) == len(predict_motion(model, audio, template))
    for chunk in (1, 7, 333, 16_000, 160_000):  # 1 sample ... 10 s (the whole clip at once)
        part = audio[:4_000] if chunk == 1 else audio  # 1-sample pushes: 0.25 s is enough
        expect = ref if chunk != 1 else stream(WindowedStreamSession(model, template), part, 320)
        got = stream(WindowedStreamSession(model, template), part, chunk)
        np.testing.assert_allclose(got, expect, atol=1e-5, err_msg=f"chunk {chunk}")


def test_frames_leave_as_soon_as_their_lookahead_has_arrived(model, template):
    session = WindowedStreamSession(model, template, WindowOptions(lookahead=0.05, block=0.1))
    audio = speech(2.0)
    emitted, pushed = 0, 0
    for i in range(0, len(audio), 160):
        emitted += len(session.push(audio[i : i + 160]))
        pushed = i + 160
        # the next frame is held only while its pass's audio (its look-ahead) is missing...
        assert pushed / 16_000 < emitted / session.fps + session.lookahead + 1e-6
        # ...and no frame left before the least look-ahead after it had arrived
        if emitted:
            assert (emitted - 1) / session.fps + 0.05 <= pushed / 16_000 + 1e-6
    assert emitted > 0


def test_windowed_equals_offline_when_the_window_covers_the_clip(model, template):
    audio = speech(2.5)
    session = WindowedStreamSession(model, template, WindowOptions(context=10, lookahead=10))
    streamed = stream(session, audio, 800)
    np.testing.assert_allclose(streamed, predict_motion(model, audio, template), atol=1e-5)


def test_native_session_is_preferred(model, template):
    class Native:
        fps, lookahead = 30.0, 0.0

        def push(self, samples):
            return np.zeros((0, 64, 3), np.float32)

        def flush(self):
            return np.zeros((0, 64, 3), np.float32)

    class WithNative:
        config = model.config

        def stream_session(self, template, core=None):
            return Native()

    assert isinstance(open_session(WithNative(), template), Native)
    assert isinstance(open_session(WithNative(), template, native=False), WindowedStreamSession)
    assert isinstance(open_session(model, template), WindowedStreamSession)


def test_a_phoneme_model_streams_natively_deciding_block_seconds_at_a_time(template):
    from conftest import random_phoneme_model

    from selftalk.inference.phonetic_stream import PhonemeStreamSession

    model = random_phoneme_model()
    session = open_session(model, template, block=0.1)
    assert isinstance(session, PhonemeStreamSession)
    assert session.ears.core == 5  # 0.1 s of 50 Hz recognizer frames
    slower = open_session(model, template, block=0.4)
    assert slower.lookahead == pytest.approx(session.lookahead + 15 / 50)


def test_memory_is_bounded_on_an_endless_stream(model, template):
    session = WindowedStreamSession(model, template)
    streamer = Streamer(session, rate=16_000)
    noise = np.random.default_rng(0).normal(0, 0.1, 16_000).astype(np.float32)
    tracemalloc.start()
    try:
        sizes = []
        for second in range(100):  # 100 s of audio, pushed a second at a time
            streamer.push(noise)
            if second in (30, 99):
                sizes.append(tracemalloc.get_traced_memory()[0])
            assert session.buffered_samples <= 2 * 16_000 + 16_000  # window + one push
    finally:
        tracemalloc.stop()
    assert len(streamer._arrivals) < 10
    assert sizes[1] - sizes[0] < 256_000  # nothing grows with the stream's length


def test_options_are_checked(model, template):
    with pytest.raises(ConfigError, match="lookahead"):
        WindowedStreamSession(model, template, WindowOptions(lookahead=-1))
    session = WindowedStreamSession(model, template)
    session.flush()
    with pytest.raises(ConfigError, match="flushed"):
        session.push(np.zeros(10, np.float32))


def test_streamer_resamples_and_times_frames(model, template):
    import soxr

    audio48 = speech(2.0, rate=48_000)
    audio16 = soxr.resample(audio48, 48_000, 16_000, quality="HQ")
    now = [0.0]  # the clock: audio time at the end of the chunk being pushed
    s48 = Streamer(WindowedStreamSession(model, template), rate=48_000, clock=lambda: now[0])
    b = []
    for i in range(0, len(audio48), 960):
        now[0] = (i + 960) / 48_000
        b.append(s48.push(audio48[i : i + 960]))
    b.append(s48.flush())
    streamed = np.concatenate([f.vertices for f in b])
    expected = stream(WindowedStreamSession(model, template), audio16, 320)
    np.testing.assert_allclose(streamed, expected, atol=1e-5)  # resampled as it streams
    indices = np.concatenate([f.indices for f in b])
    np.testing.assert_array_equal(indices, np.arange(60))
    latency = np.concatenate([f.latency for f in b])
    assert s48.stats.count == 60
    # a frame waits for its look-ahead (and the resampler's few ms), and no longer
    assert latency[:-3].min() >= 0.05 - 0.02
    assert latency[:-3].max() <= s48.lookahead + 0.02 + 0.01


def test_bad_chunks_are_refused_clearly(model, template):
    streamer = Streamer(WindowedStreamSession(model, template))
    with pytest.raises(StreamError, match="NaN"):
        streamer.push(np.array([0.0, np.nan], np.float32))
    with pytest.raises(StreamError, match="one channel"):
        streamer.push(np.zeros((10, 2), np.float32))
    with pytest.raises(StreamError, match="sample rate"):
        Streamer(WindowedStreamSession(model, template), rate=100)
    from selftalk.streaming import pcm16_to_float

    with pytest.raises(StreamError, match="even number of bytes"):
        pcm16_to_float(b"\x00\x01\x02")


@pytest.mark.parametrize("streaming", [True, False], ids=["streaming", "offline"])
def test_bundled_models_stream_close_to_offline(streaming):
    """Each bundled model's own stream session: exact with the recognizer's offline core, and
    within the stated tolerance with 0.1 s blocks (docs/realtime.md)."""
    from pathlib import Path

    from selftalk.inference.loading import load_model
    from selftalk.synth.head import lip_gap, load_head

    loaded = load_model(streaming=streaming)
    template = loaded.template()
    example = Path(__file__).resolve().parents[2] / "examples" / "hello.wav"
    audio, _ = soundfile.read(example, dtype="float32")
    offline = predict_motion(loaded.model, audio, template)
    exact = stream(open_session(loaded.model, template, block=2.0), audio, 320)
    np.testing.assert_allclose(exact, offline, atol=1e-5)
    streamed = stream(open_session(loaded.model, template, block=0.1), audio, 320)
    assert streamed.shape == offline.shape
    displacement = np.linalg.norm(offline - template, axis=-1).mean()
    error = np.linalg.norm(streamed - offline, axis=-1).mean()
    assert error < 0.25 * displacement  # measured 0.175 streaming, 0.185 offline
    head = load_head()
    gap_offline, gap_streamed = lip_gap(offline, head), lip_gap(streamed, head)
    assert (
        np.corrcoef(gap_offline, gap_streamed)[0, 1] > 0.9
    )  # measured 0.935 streaming, 0.930 offline


def test_real_time_work_computes_on_one_thread():
    """`stream` and `serve` keep torch and the BLAS under numpy on one thread: OpenBLAS's
    helper threads spun between small passes and took a second core per stream."""
    import subprocess
    import sys

    code = (
        "import numpy, torch, threadpoolctl\n"
        "from selftalk.streaming.pipeline import compute_on_one_thread\n"
        "compute_on_one_thread()\n"
        "print(torch.get_num_threads(), max(p['num_threads'] for p in "
        "threadpoolctl.threadpool_info()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1"]
