"""The live page in headless Chromium: its fake microphone plays speech then silence, the
head's morph-target weights must move while the speech plays and settle in the silence."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile
from conftest import ON_CI, require_executable
from serve_fixtures import running_server

WEB = Path(__file__).resolve().parents[2] / "web"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello.wav"
MOUTH = (
    "jawOpen",
    "mouthClose",
    "mouthFunnel",
    "mouthPucker",
    "mouthLowerDownLeft",
    "mouthUpperUpLeft",
)

pytestmark = [pytest.mark.timeout(400), pytest.mark.realtime]


@pytest.fixture(scope="module")
def server():
    require_executable("node")
    require_executable("chromium")
    if (
        not (WEB / "node_modules" / "playwright-core").exists()
        or not (WEB / "dist" / "live.html").exists()
    ):
        message = "web/ is not built: run `make deps` (npm ci && npm run build in web/)"
        pytest.fail(message) if ON_CI else pytest.skip(message)
    yield from running_server("--no-grpc")


def test_live_page_moves_the_head_with_speech_and_settles_in_silence(server, tmp_path):
    speech, rate = soundfile.read(EXAMPLE, dtype="float32")
    silence = np.zeros(rate, np.float32)
    mic = tmp_path / "mic.wav"  # 1 s silence, 6.6 s speech, 5 s silence
    soundfile.write(mic, np.concatenate([silence, speech, *[silence] * 5]), rate, subtype="PCM_16")
    result = subprocess.run(
        ["node", "tools/live.mjs", "--url", server.http, "--audio", str(mic), "--until", "11.5",
         "--timeout", "240", "--chromium", require_executable("chromium")],
        cwd=WEB, capture_output=True, text=True, timeout=360, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["errors"] == [] and report["error"] is None
    columns = [report["names"].index(name) for name in MOUTH]
    time = np.array([h["time"] for h in report["history"]])  # audio time of each frame shown
    mouth = np.array([h["weights"] for h in report["history"]])[:, columns]
    assert np.all(np.diff(time) > 0) and len(time) > 100  # frames shown in order, many of them
    talking, quiet = mouth[(time > 1.5) & (time < 7.5)], mouth[time > 9.5]
    assert len(talking) > 30 and len(quiet) > 10
    moving = np.abs(np.diff(talking, axis=0)).sum(axis=1)
    still = np.abs(np.diff(quiet, axis=0)).sum(axis=1)
    assert np.ptp(talking[:, 0]) > 0.05  # the jaw opens and closes with the words
    assert (moving > 1e-3).mean() > 0.5  # the mouth changes from frame to frame while talking
    # and settles in the silence: what is left is the windowed session's faint 10 Hz ripple
    assert np.ptp(quiet, axis=0).max() < 0.2 * np.ptp(talking, axis=0).max()
    assert still.mean() < 0.3 * moving.mean()
