"""Where streamed audio comes from: a file (optionally paced in real time), raw 16-bit PCM on
a binary stream (stdin), or a microphone (sounddevice). Each yields (n,) float32 chunks."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from selftalk.audio import SAMPLE_RATE, load_audio
from selftalk.errors import ConfigError


def file_chunks(
    path: str | Path,
    *,
    chunk: float = 0.02,
    realtime: bool = False,
    sleep=time.sleep,
    clock=time.perf_counter,
) -> Iterator[np.ndarray]:
    """An audio file at 16 kHz in chunks of ``chunk`` seconds; with ``realtime``, each chunk is
    yielded when it would have finished playing."""
    audio = load_audio(path)
    n = max(1, int(round(chunk * SAMPLE_RATE)))
    start = clock()
    for i in range(0, len(audio), n):
        piece = audio[i : i + n]
        if realtime:
            wait = start + (i + len(piece)) / SAMPLE_RATE - clock()
            if wait > 0:
                sleep(wait)
        yield piece


def pcm_chunks(stream: BinaryIO, *, rate: int, chunk: float = 0.02) -> Iterator[np.ndarray]:
    """Signed 16-bit little-endian mono PCM from ``stream`` until end of file, in chunks of
    about ``chunk`` seconds (a short read yields what has arrived: no waiting for a full one)."""
    from selftalk.streaming.streamer import pcm16_to_float

    size = max(2, int(round(chunk * rate)) * 2)
    read = getattr(stream, "read1", stream.read)
    carry = b""
    while True:
        data = read(size)
        if not data:
            break
        data = carry + data
        cut = len(data) - len(data) % 2
        carry = data[cut:]
        if cut:
            yield pcm16_to_float(data[:cut])


def mic_chunks(
    *,
    rate: int = SAMPLE_RATE,
    chunk: float = 0.02,
    device=None,
    seconds: float | None = None,
    backend=None,
) -> Iterator[np.ndarray]:
    """The default (or ``device``) input at ``rate`` in ``chunk``-second blocks, until
    ``seconds`` have been captured or the consumer stops. ``backend``: a module with
    sounddevice's ``InputStream`` (default: sounddevice itself)."""
    if backend is None:
        try:
            import sounddevice as backend
        except (ImportError, OSError) as error:  # OSError: PortAudio library missing
            raise ConfigError(
                f"microphone input needs sounddevice and PortAudio ({error})"
            ) from None
    blocks: queue.Queue = queue.Queue(maxsize=max(4, int(2.0 / chunk)))  # 2 s of audio at most
    overruns = 0

    def callback(indata, frames, time_info, status):
        nonlocal overruns
        try:
            blocks.put_nowait(np.array(indata[:, 0], np.float32))
        except queue.Full:  # the consumer is behind: drop the block, count it
            overruns += 1

    blocksize = max(1, int(round(chunk * rate)))
    limit = None if seconds is None else int(round(seconds * rate))
    captured = 0
    try:
        stream = backend.InputStream(
            samplerate=rate,
            channels=1,
            dtype="float32",
            blocksize=blocksize,
            device=device,
            callback=callback,
        )
    except Exception as error:  # noqa: BLE001 - PortAudio reports device problems many ways
        raise ConfigError(f"cannot open the microphone ({error})") from None
    with stream:
        while limit is None or captured < limit:
            try:
                block = blocks.get(timeout=5.0)
            except queue.Empty:
                raise ConfigError("the microphone delivered no audio for 5 s") from None
            if limit is not None:
                block = block[: limit - captured]
            captured += len(block)
            yield block
