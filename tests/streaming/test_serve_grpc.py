"""`selftalk serve` as an Audio2Face-3D service, driven by a client built from the same
nvidia-audio2face-3d stubs."""

import asyncio

import numpy as np
import pytest
from serve_clients import a2f_audio, a2f_end, a2f_header, a2f_stream, pcm16
from serve_fixtures import running_server
from streaming_fixtures import bundled_frames, speech

from selftalk.arkit import LIVE_LINK as ARKIT_NAMES

pytestmark = [pytest.mark.timeout(300), pytest.mark.realtime]


@pytest.fixture(scope="module")
def server():
    yield from running_server()


def kinds(responses):
    return [r.WhichOneof("stream_part") for r in responses]


def weights_of(responses):
    rows = [
        (w.time_code, list(w.values))
        for r in responses
        if r.HasField("animation_data")
        for w in r.animation_data.skel_animation.blend_shape_weights
    ]
    return np.array([t for t, _ in rows]), np.array([v for _, v in rows])


def test_a_stream_gets_header_frames_audio_event_and_status(server):
    from nvidia_ace import status_pb2

    pcm = pcm16(speech(2.0, rate=24_000))
    chunks = [a2f_audio(pcm[i : i + 4800]) for i in range(0, len(pcm), 4800)]  # 100 ms
    responses, code, _ = asyncio.run(
        a2f_stream(server.grpc, [a2f_header(24_000), *chunks, a2f_end()])
    )
    import grpc

    assert code == grpc.StatusCode.OK
    k = kinds(responses)
    assert k[0] == "animation_data_stream_header" and k[-2:] == ["event", "status"]
    # frames arrive as they are made: a pass takes all the audio queued meanwhile, so a client
    # sending faster than real time gets a few large messages, not one at the end
    assert set(k[1:-2]) == {"animation_data"} and k.count("animation_data") >= 2
    header = responses[0].animation_data_stream_header
    assert list(header.skel_animation_header.blend_shapes) == list(ARKIT_NAMES)
    assert (
        header.audio_header.samples_per_second == 24_000
        and header.audio_header.bits_per_sample == 16
    )
    times, weights = weights_of(responses)
    n = bundled_frames(2.0)
    assert weights.shape == (n, 52) and np.allclose(times, np.arange(n) / 30, atol=1e-6)
    echoed = b"".join(
        r.animation_data.audio.audio_buffer for r in responses if r.HasField("animation_data")
    )
    assert echoed == pcm  # all the audio, once, in order
    audio_times = [
        r.animation_data.audio.time_code
        for r in responses[1:-2]
        if r.animation_data.audio.audio_buffer
    ]
    assert audio_times == sorted(audio_times) and audio_times[0] == 0
    assert responses[-1].status.code == status_pb2.Status.SUCCESS


def test_blendshape_parameters_apply_and_others_are_ignored(server):
    from nvidia_audio2face_3d import messages_pb2 as m

    pcm = pcm16(speech(1.0))
    plain, _, _ = asyncio.run(a2f_stream(server.grpc, [a2f_header(), a2f_audio(pcm), a2f_end()]))
    params = dict(
        blendshape_params=m.BlendShapeParameters(
            bs_weight_multipliers={"jawOpen": 3.0, "notAShape": 2.0},
            bs_weight_offsets={"mouthClose": 0.25},
            enable_clamping_bs_weight=True,
        ),
        face_params=m.FaceParameters(float_params={"lowerFaceSmoothing": 0.01}),
        emotion_params=m.EmotionParameters(live_transition_time=0.5),
    )
    emotion = m.EmotionWithTimeCode(time_code=0.0, emotion={"joy": 1.0})
    chunk = m.AudioWithEmotionStream(
        audio_with_emotion=m.AudioWithEmotion(audio_buffer=pcm, emotions=[emotion])
    )
    shaped, code, _ = asyncio.run(a2f_stream(server.grpc, [a2f_header(**params), chunk, a2f_end()]))
    import grpc

    assert code == grpc.StatusCode.OK
    _, a = weights_of(plain)
    _, b = weights_of(shaped)
    jaw, close = ARKIT_NAMES.index("jawOpen"), ARKIT_NAMES.index("mouthClose")
    np.testing.assert_allclose(b[:, jaw], np.clip(3 * a[:, jaw], 0, 1), atol=1e-5)
    np.testing.assert_allclose(b[:, close], np.clip(a[:, close] + 0.25, 0, 1), atol=1e-5)
    others = [i for i in range(52) if i not in (jaw, close)]
    np.testing.assert_allclose(b[:, others], a[:, others], atol=1e-6)


@pytest.mark.parametrize(
    "requests, message",
    [
        (lambda: [a2f_audio(b"\0\0"), a2f_end()], "first message must be an audio_stream_header"),
        (lambda: [a2f_header(bits=8), a2f_end()], "bits_per_sample 8 is not supported"),
        (lambda: [a2f_header(channels=2), a2f_end()], "channel_count 2 is not supported"),
        (lambda: [a2f_header(rate=1_000), a2f_end()], "samples_per_second 1000 is out of range"),
        (lambda: [a2f_header(), a2f_audio(b"\1\2\3"), a2f_end()], "even number of bytes"),
        (
            lambda: [a2f_header(8_000), a2f_audio(bytes(2 * 8_000 * 11)), a2f_end()],
            "over the limit",
        ),
        (lambda: [a2f_header(), a2f_header()], "a second audio_stream_header"),
    ],
)
def test_bad_streams_get_an_error_status(server, requests, message):
    import grpc
    from nvidia_ace import status_pb2

    responses, code, details = asyncio.run(a2f_stream(server.grpc, requests()))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and message in details, details
    assert (
        responses[-1].status.code == status_pb2.Status.ERROR
        and message in responses[-1].status.message
    )


def test_clients_vanishing_mid_stream_do_not_disturb_the_others(server):
    import grpc

    pcm = pcm16(speech(3.0))
    requests = [
        a2f_header(),
        *[a2f_audio(pcm[i : i + 3200]) for i in range(0, len(pcm), 3200)],
        a2f_end(),
    ]

    async def run():
        vanish = [a2f_stream(server.grpc, requests, stop_after=3) for _ in range(2)]
        whole = a2f_stream(server.grpc, requests)
        return await asyncio.gather(*vanish, whole)

    *_, (responses, code, _) = asyncio.run(run())
    assert code == grpc.StatusCode.OK and weights_of(responses)[1].shape == (
        bundled_frames(3.0),
        52,
    )
    import json
    import time
    import urllib.request

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the vanished streams are released
        with urllib.request.urlopen(server.http + "/health", timeout=10) as r:
            report = json.loads(r.read())
        if report["streams"]["active"] == 0:
            break
        time.sleep(0.1)
    assert report["streams"]["active"] == 0
