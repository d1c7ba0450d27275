"""`selftalk serve` over HTTP and WebSocket, with real clients, on loopback."""

import asyncio
import io
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import soundfile
from serve_clients import pcm16, ws_stream
from serve_fixtures import MAX_STREAMS, running_server, start_server
from streaming_fixtures import bundled_frames, speech

from selftalk.arkit import LIVE_LINK as ARKIT_NAMES
from selftalk.cli import main

pytestmark = [pytest.mark.timeout(300), pytest.mark.realtime]


@pytest.fixture(scope="module")
def server():
    yield from running_server()


def get(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def wav_bytes(seconds=1.5, rate=16_000):
    buffer = io.BytesIO()
    soundfile.write(buffer, speech(seconds, rate=rate), rate, format="WAV")
    return buffer.getvalue()


def test_health(server):
    status, kind, body = get(server.http + "/health")
    report = json.loads(body)
    assert status == 200 and kind == "application/json"
    assert report["status"] == "ok" and report["streams"]["max"] == MAX_STREAMS
    assert report["model"]["fps"] == 30


def test_upload_animates_in_every_format(server):
    data = wav_bytes(1.5, rate=22_050)
    status, kind, body = get(
        server.http + "/animate?format=json", data, {"Content-Type": "audio/wav"}
    )
    assert status == 200 and kind == "application/json"
    curves = json.loads(body)
    assert curves["names"] == list(ARKIT_NAMES)
    assert len(curves["weights"]) == bundled_frames(1.5)
    status, kind, body = get(server.http + "/animate?format=csv", data)
    assert status == 200 and body.decode().startswith("Timecode,BlendShapeCount")
    status, kind, body = get(server.http + "/animate?format=glb", data)
    assert status == 200 and kind == "model/gltf-binary" and body[:4] == b"glTF"
    status, kind, body = get(server.http + "/animate?format=mp4", data)
    assert status == 200 and kind == "video/mp4" and body[4:8] == b"ftyp"


def test_upload_animates_as_selftalk_animate_does(server, tmp_path):
    """Uploads get the bundled model, as `selftalk animate` does, not the streaming model the
    server's streams use."""
    data = wav_bytes(1.5, rate=22_050)
    status, _, body = get(server.http + "/animate?format=json", data)
    assert status == 200
    wav, out = tmp_path / "speech.wav", tmp_path / "speech.json"
    wav.write_bytes(data)
    assert main(["animate", str(wav), "-o", str(out)]) == 0
    uploaded, animated = (np.array(json.loads(b)["weights"]) for b in (body, out.read_bytes()))
    np.testing.assert_allclose(uploaded, animated, atol=1e-4)


def test_upload_errors_are_clear(server):
    status, _, body = get(server.http + "/animate?format=json", b"this is not audio")
    assert status == 400 and "not a readable audio file" in json.loads(body)["error"]
    status, _, body = get(server.http + "/animate?format=obj", wav_bytes())
    assert status == 400 and "format must be one of" in json.loads(body)["error"]
    status, _, body = get(server.http + "/animate", b"")
    assert status == 400 and "no audio" in json.loads(body)["error"]


def test_head_has_the_52_arkit_morph_targets(server):
    import pygltflib

    status, kind, body = get(server.http + "/head.glb")
    assert status == 200 and kind == "model/gltf-binary"
    gltf = pygltflib.GLTF2.load_from_bytes(body)
    assert sorted(gltf.meshes[0].extras["targetNames"]) == sorted(ARKIT_NAMES)
    assert len(gltf.meshes[0].primitives[0].targets) == 52 and not gltf.animations


def test_websocket_streams_frames_as_audio_arrives(server):
    audio = speech(2.0, rate=48_000)
    messages, code = asyncio.run(ws_stream(server.ws, pcm16(audio), rate=48_000, chunk_bytes=1920))
    assert code == 1000
    ready, *middle, end = messages
    assert (
        ready["type"] == "ready" and ready["names"] == list(ARKIT_NAMES) and ready["rate"] == 48_000
    )
    assert abs(ready["lookahead"] - 0.1833) < 1e-3  # the bundled streaming model's, not 0.263
    frames = [m for m in middle if m["type"] == "frames"]
    starts = [m["start"] for m in frames]
    weights = np.concatenate([m["weights"] for m in frames])
    # as they are made: a pass takes all the audio queued meanwhile, so a client sending faster
    # than real time gets a few large messages, not one at the end
    assert starts == sorted(starts) and starts[0] == 0 and len(frames) >= 2
    n = bundled_frames(2.0)
    assert weights.shape == (n, 52) and end == {**end, "type": "end", "frames": n}
    assert weights[:, ARKIT_NAMES.index("jawOpen")].std() > 0


@pytest.mark.parametrize(
    "first, chunk, code, message",
    [
        ('{"rate": "fast"}', None, 1003, "rate must be an integer"),
        ("not json", None, 1003, "must be JSON"),
        ('{"rate": 16000, "colour": 1}', None, 1003, "unknown configuration keys: colour"),
        ('{"rate": 100}', None, 1003, "sample rate 100 Hz is out of range"),
        ('{"rate": 16000}', b"\x01\x02\x03", 1003, "multiple of 2 bytes"),
        ('{"rate": 8000}', bytes(2 * 8000 * 11), 1009, "over the limit of 10 s"),
    ],
)
def test_websocket_errors_close_with_a_clear_status(server, first, chunk, code, message):
    import aiohttp

    async def run():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(server.ws, max_msg_size=0) as ws:
                await ws.send_str(first)
                if chunk is not None:
                    ready = await ws.receive_json()
                    assert ready["type"] == "ready"
                    await ws.send_bytes(chunk)
                error = await ws.receive_json()
                await ws.receive()
                return error, ws.close_code

    error, close_code = asyncio.run(run())
    assert error["type"] == "error" and message in error["message"] and close_code == code


def test_busy_server_refuses_cleanly_and_keeps_serving(server):
    import aiohttp

    async def run():
        async with aiohttp.ClientSession() as session:
            held = [await session.ws_connect(server.ws) for _ in range(MAX_STREAMS)]
            for ws in held:
                await ws.send_str('{"rate": 16000}')
                assert (await ws.receive_json())["type"] == "ready"
            extra = await session.ws_connect(server.ws)
            await extra.send_str('{"rate": 16000}')
            refused = await extra.receive_json()
            await extra.receive()
            # the held streams are still served; one vanishes mid-stream, one ends cleanly
            await held[0].send_bytes(pcm16(speech(1.0)))
            await held[0].close()
            await held[1].send_bytes(pcm16(speech(1.0)))
            await held[1].send_str('{"type": "end"}')
            got = [json.loads(m.data) async for m in held[1]]
            for ws in held[2:]:
                await ws.close()
            return refused, extra.close_code, got

    refused, code, got = asyncio.run(run())
    assert (
        refused["type"] == "error" and "maximum of 3 streams" in refused["message"] and code == 1013
    )
    assert (
        sum(len(m.get("weights", [])) for m in got) == bundled_frames(1.0)
        and got[-1]["type"] == "end"
    )
    asyncio.run(asyncio.sleep(0.5))
    report = json.loads(get(server.http + "/health")[2])
    assert report["streams"]["active"] == 0 and report["counts"]["refused"] >= 1


def test_sigterm_stops_gracefully():
    own = start_server("--no-grpc", max_streams=2)

    async def run():
        import aiohttp

        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(own.ws)
            await ws.send_str('{"rate": 16000}')
            await ws.receive_json()
            await ws.send_bytes(pcm16(speech(0.5)))
            own.process.send_signal(signal.SIGTERM)
            messages = [m async for m in ws]
            return messages, ws.close_code

    messages, code = asyncio.run(run())
    assert code in (1001, 1006, 1000)  # told the server is going away (or closed)
    out, _ = own.process.communicate(timeout=30)
    assert own.process.returncode == 0 and "stopped" in out


def test_sigterm_during_start_up_ends_the_server_in_one_line(tmp_path):
    """SIGTERM while the model loads and warms up: exit 143, one line, nothing else logged."""
    process = subprocess.Popen(
        [sys.executable, "-m", "selftalk", "serve", "--http-port", "0", "--no-grpc"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)  # inside start-up: loading takes longer than this
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert err.strip().splitlines() == ["selftalk serve: terminated"]
