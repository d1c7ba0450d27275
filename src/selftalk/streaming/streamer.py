"""The streaming pipeline: audio chunks of any size and rate in, timed frames out.

chunk (any rate) → resampler (soxr, stateful) → :class:`StreamSession` → vertices →
:class:`~selftalk.export.arkit_stream.ArkitStreamSolver` → ARKit-52 weights. Each frame carries
its latency: from the arrival of the chunk holding the audio at the frame's time to the
moment the frame left :meth:`Streamer.push`.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from selftalk.audio import SAMPLE_RATE
from selftalk.errors import StreamError

MIN_RATE, MAX_RATE = 4_000, 192_000


@dataclass(frozen=True, kw_only=True)
class Frames:
    """Frames ``start .. start + k - 1`` of a stream.

    Attributes:
        start: index of the first frame.
        fps: frames per second (frame ``i`` is at ``i / fps`` seconds).
        vertices: (k, V, 3) float32 ((k, 0, 3) from a streamer that keeps no vertices).
        weights: (k, 52) float32 ARKit weights (ARKit order), or None without a solver.
        latency: (k,) seconds from the arrival of each frame's audio to its emission.
    """

    start: int
    fps: float
    vertices: np.ndarray
    weights: np.ndarray | None
    latency: np.ndarray

    def __len__(self) -> int:
        return len(self.vertices)

    @property
    def indices(self) -> np.ndarray:
        return np.arange(self.start, self.start + len(self), dtype=np.int64)

    @property
    def times(self) -> np.ndarray:
        return self.indices / self.fps


class LatencyStats:
    """Latency percentiles of a stream in bounded memory (a histogram of 1 ms bins to 60 s)."""

    def __init__(self, resolution: float = 1e-3, limit: float = 60.0):
        self.resolution = resolution
        self.counts = np.zeros(int(limit / resolution) + 1, np.int64)
        self.maximum = 0.0

    def add(self, latency: np.ndarray) -> None:
        if len(latency):
            bins = np.clip(
                (np.asarray(latency) / self.resolution).astype(np.int64), 0, len(self.counts) - 1
            )
            np.add.at(self.counts, bins, 1)
            self.maximum = max(self.maximum, float(np.max(latency)))

    @property
    def count(self) -> int:
        return int(self.counts.sum())

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile in seconds (upper edge of its bin); NaN when empty."""
        n = self.count
        if n == 0:
            return float("nan")
        rank = int(np.ceil(q / 100 * n))
        return float(np.searchsorted(np.cumsum(self.counts), max(rank, 1)) + 1) * self.resolution

    def summary(self) -> dict:
        return {
            "frames": self.count,
            **{f"p{q}": self.percentile(q) for q in (50, 95, 99)},
            "max": self.maximum,
        }


class Streamer:
    """Audio chunks in, :class:`Frames` out, for one stream.

    Args:
        session: the model's :class:`~selftalk.streaming.session.StreamSession`.
        rate: sample rate of the chunks pushed (resampled to 16 kHz).
        solver: an ARKit solver (``ArkitStreamSolver``) for weights, or None for vertices only.
        clock: seconds, monotonic (``time.perf_counter``).
        keep_vertices: False to return weights only (servers: 54 KB a frame less to hold).
    """

    def __init__(
        self,
        session,
        *,
        rate: int = SAMPLE_RATE,
        solver=None,
        clock=time.perf_counter,
        keep_vertices: bool = True,
    ):
        if not MIN_RATE <= int(rate) <= MAX_RATE:
            raise StreamError(f"sample rate {rate} Hz is out of range ({MIN_RATE}-{MAX_RATE})")
        self.session = session
        self.rate = int(rate)
        self.solver = solver
        self.clock = clock
        self.keep_vertices = keep_vertices
        self.fps = float(session.fps)
        self.stats = LatencyStats()
        self._resampler = None
        if self.rate != SAMPLE_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(
                self.rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ"
            )
        self._samples_in = 0  # input samples pushed, at ``rate``
        self._arrivals: deque[tuple[float, float]] = deque()  # (end in 16 kHz samples, time)
        self._frames_out = 0
        self._shape: tuple[int, ...] = (0, 3)  # one frame's shape, once known
        self.finished = False

    @property
    def lookahead(self) -> float:
        """Seconds of audio a frame waits for (the session's; the resampler adds a little)."""
        return float(self.session.lookahead)

    @property
    def seconds_in(self) -> float:
        return self._samples_in / self.rate

    def push(self, samples: np.ndarray, *, arrived: float | None = None) -> Frames:
        """Push (n,) float32 samples in [-1, 1] at ``rate``; returns the frames now decided.

        ``arrived``: when the chunk arrived (``clock`` time; default now).
        """
        return self.push_many([(samples, arrived)])

    def push_many(self, chunks: list[tuple[np.ndarray, float | None]]) -> Frames:
        """Push chunks that queued up together, ``(samples, arrived)`` each, in one pass of
        the model: a stream that fell behind catches up with fewer, larger passes."""
        if self.finished:
            raise StreamError("the stream has ended; no more audio can be pushed")
        pieces = []
        for samples, arrived in chunks:
            samples = check_chunk(samples)
            self._samples_in += len(samples)
            arrived = self.clock() if arrived is None else arrived
            self._arrivals.append((self._samples_in * SAMPLE_RATE / self.rate, arrived))
            if self._resampler is not None:
                samples = self._resampler.resample_chunk(samples, last=False)
            pieces.append(samples)
        joined = (
            pieces[0] if len(pieces) == 1 else np.concatenate(pieces or [np.zeros(0, np.float32)])
        )
        return self._emit(self.session.push(joined))

    def flush(self) -> Frames:
        """End of stream: the remaining frames."""
        if self.finished:
            return self._emit(None)
        self.finished = True
        parts = []
        if self._resampler is not None:
            parts.append(
                self.session.push(
                    self._resampler.resample_chunk(np.zeros(0, np.float32), last=True)
                )
            )
        parts.append(self.session.flush())
        parts = [p for p in parts if len(p)]
        return self._emit(np.concatenate(parts) if parts else None)

    def _emit(self, vertices: np.ndarray | None) -> Frames:
        if vertices is None:
            vertices = np.zeros((0, *self._shape), np.float32)
        self._shape = vertices.shape[1:]
        k = len(vertices)
        weights = None
        if self.solver is not None:
            weights = self.solver.push(vertices) if k else np.zeros((0, 52), np.float32)
        now = self.clock()
        latency = np.empty(k)
        spf = SAMPLE_RATE / self.fps
        for i in range(k):
            position = (self._frames_out + i) * spf  # the frame's time, in 16 kHz samples
            while len(self._arrivals) > 1 and self._arrivals[0][0] <= position:
                self._arrivals.popleft()
            latency[i] = now - self._arrivals[0][1] if self._arrivals else 0.0
        self.stats.add(latency)
        if not self.keep_vertices:
            vertices = vertices[:, :0]
        frames = Frames(
            start=self._frames_out,
            fps=self.fps,
            vertices=vertices,
            weights=weights,
            latency=latency,
        )
        self._frames_out += k
        return frames


def check_chunk(samples) -> np.ndarray:
    """A chunk as (n,) float32, or a :class:`StreamError` saying what is wrong with it."""
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise StreamError(
            f"an audio chunk must be one channel of samples, got shape {samples.shape}"
        )
    if samples.dtype.kind not in "fi":
        raise StreamError(f"audio samples must be numbers, got {samples.dtype}")
    samples = samples.astype(np.float32, copy=False)
    if not np.all(np.isfinite(samples)):
        raise StreamError("the audio chunk contains NaN or infinite samples")
    return samples


def pcm16_to_float(data: bytes) -> np.ndarray:
    """Little-endian signed 16-bit mono PCM bytes → (n,) float32 in [-1, 1)."""
    if len(data) % 2:
        raise StreamError(f"16-bit PCM needs an even number of bytes, got {len(data)}")
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0
