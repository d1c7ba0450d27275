"""`selftalk stream`: files, raw PCM on stdin, a (fake) microphone; JSON lines and CSV out."""

import io
import json
import os
import re
import subprocess
import sys
import threading
import types

import numpy as np
import pytest
import soundfile
from streaming_fixtures import bundled_frames, speech

from selftalk.arkit import LIVE_LINK as ARKIT_NAMES
from selftalk.cli import main
from selftalk.streaming.sources import file_chunks, mic_chunks, pcm_chunks


@pytest.fixture
def wav(tmp_path):
    path = tmp_path / "speech.wav"
    soundfile.write(path, speech(2.0), 16_000)
    return path


class Trickle(io.RawIOBase):
    """A byte stream that returns reads of awkward sizes (odd, one byte, ...)."""

    def __init__(self, data, sizes):
        self.data, self.sizes, self.pos = data, sizes, 0

    def readable(self):
        return True

    def read1(self, n=-1):
        size = min(n, next(self.sizes))
        piece = self.data[self.pos : self.pos + size]
        self.pos += len(piece)
        return piece


def test_pcm_chunks_reassemble_odd_reads():
    pcm = (speech(0.5) * 32767).astype("<i2")
    sizes = iter([1, 3, 2, 5, 640, 1, 999] * 1000)
    chunks = list(pcm_chunks(Trickle(pcm.tobytes(), sizes), rate=16_000, chunk=0.02))
    np.testing.assert_array_equal(np.concatenate(chunks), pcm.astype(np.float32) / 32768)


def test_file_chunks_are_paced_in_real_time(wav):
    now, slept = [0.0], []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    chunks = list(file_chunks(wav, chunk=0.1, realtime=True, sleep=sleep, clock=lambda: now[0]))
    assert len(chunks) == 20 and sum(slept) == pytest.approx(2.0)


class FakeInputStream:
    """sounddevice.InputStream stand-in: plays ``AUDIO`` through the callback from a thread."""

    AUDIO = speech(1.5)

    def __init__(self, *, samplerate, channels, dtype, blocksize, device, callback):
        assert channels == 1 and dtype == "float32"
        self.blocksize, self.callback = blocksize, callback
        self.stop = threading.Event()

    def _run(self):
        for i in range(0, len(self.AUDIO), self.blocksize):
            if self.stop.wait(0.001):
                return
            block = self.AUDIO[i : i + self.blocksize]
            self.callback(block[:, None], len(block), None, None)

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def test_mic_chunks_read_the_input_stream():
    backend = types.SimpleNamespace(InputStream=FakeInputStream)
    chunks = list(mic_chunks(rate=16_000, chunk=0.02, seconds=1.0, backend=backend))
    audio = np.concatenate(chunks)
    np.testing.assert_array_equal(audio, FakeInputStream.AUDIO[:16_000])


def test_stream_mic_through_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(
        sys.modules, "sounddevice", types.SimpleNamespace(InputStream=FakeInputStream)
    )
    out = tmp_path / "take.jsonl"
    assert main(["stream", "mic", "--seconds", "1", "-o", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == bundled_frames(1.0)  # as many as offline prediction makes
    assert "latency p50" in capsys.readouterr().err


def test_stream_file_to_jsonl_and_csv(wav, tmp_path, capsys):
    jsonl, csv = tmp_path / "a.jsonl", tmp_path / "a.csv"
    assert main(["stream", str(wav), "-o", str(jsonl)]) == 0
    assert main(["stream", str(wav), "-o", str(csv)]) == 0
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(bundled_frames(2.0)))
    assert records[30]["time"] == pytest.approx(1.0)
    assert list(records[0]["weights"]) == list(ARKIT_NAMES)
    jaw = np.array([r["weights"]["jawOpen"] for r in records])
    assert jaw.std() > 0  # the jaw moves with the voiced bursts
    rows = csv.read_text().splitlines()
    assert rows[0].startswith("Timecode,BlendShapeCount,EyeBlinkLeft")
    assert len(rows) == 1 + len(records)
    jaw_csv = [float(r.split(",")[2 + ARKIT_NAMES.index("jawOpen")]) for r in rows[1:]]
    np.testing.assert_allclose(jaw_csv, jaw, atol=1e-4)
    assert "latency p50" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.jsonl", "speech.wav"]


def test_stream_with_a_wider_ears_window(wav, tmp_path, capsys):
    """`--ears-window 32 4`: the recognizer hears more around each block; 80 ms later."""
    default, wide = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert main(["stream", str(wav), "-o", str(default)]) == 0
    first = capsys.readouterr().err
    assert main(["stream", str(wav), "-o", str(wide), "--ears-window", "32", "4"]) == 0
    second = capsys.readouterr().err
    jaw = [
        np.array([json.loads(line)["weights"]["jawOpen"] for line in f.read_text().splitlines()])
        for f in (default, wide)
    ]
    assert jaw[0].shape == jaw[1].shape and not np.allclose(jaw[0], jaw[1])
    lookahead = [float(re.search(r"look-ahead (\d+) ms", e).group(1)) for e in (first, second)]
    assert lookahead[1] == lookahead[0] + 80
    assert lookahead[0] == 183  # the bundled streaming model's, not the bundled model's 263


def test_stream_raw_pcm_from_stdin_writes_json_lines_as_it_goes(tmp_path):
    pcm = (speech(1.0, rate=8_000) * 32767).astype("<i2").tobytes()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "selftalk", "stream", "-", "--rate", "8000", "-o", "-"],
        input=pcm,
        capture_output=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert len(lines) == bundled_frames(1.0)
    first = json.loads(lines[0])
    assert first["frame"] == 0 and first["time"] == 0 and len(first["weights"]) == 52
    assert b"latency p50" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.wav"], "no such audio file"),
        (["{wav}", "-o", "out.txt"], "unknown output type"),
        (["-", "--rate", "100"], "--rate 100 Hz is out of range"),
        (["{wav}", "--lookahead", "-1"], "--lookahead -1 is out of range"),
        (["{wav}", "-o", "{wav_jsonl}", "--chunk", "0"], "--chunk 0 ms is out of range"),
        (["{wav}", "--ears-window", "-1", "0"], "--ears-window -1 0: each must be 0-1000"),
    ],
)
def test_stream_errors_are_one_line(wav, tmp_path, capsys, args, message):
    args = [a.format(wav=wav, wav_jsonl=tmp_path / "x.jsonl") for a in args]
    assert main(["stream", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
