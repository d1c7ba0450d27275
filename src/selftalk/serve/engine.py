"""Streams and jobs of one server process: admission, bounded queues, inference off the loop.

Every protocol (WebSocket, Audio2Face-3D gRPC, HTTP uploads) goes through one
:class:`Engine`. A :class:`LiveStream` receives chunks from its protocol's reader (stamped
with their arrival time), queues at most ``queue_seconds`` of audio (the reader then waits:
back-pressure reaches the client through TCP), and a task of its own pushes them through the
model in the engine's thread pool, so the event loop never runs the model. torch releases
the GIL inside its operators, so threads run passes of different streams in parallel; the
Python between operators (and the ARKit solver's small-matrix loop) takes turns.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from selftalk.errors import StreamError
from selftalk.streaming.streamer import Frames, LatencyStats

log = logging.getLogger("selftalk.serve")


class Busy(Exception):
    """The server runs as many streams (or jobs) as it may: try again later."""


class ShuttingDown(Exception):
    """The server is stopping and takes no new work."""


@dataclass(kw_only=True)
class EngineLimits:
    """How much one server takes on at once."""

    max_streams: int = 8
    """Streams served at once; more are refused (WebSocket 1013, gRPC RESOURCE_EXHAUSTED)."""
    queue_seconds: float = 2.0
    """Audio a stream may have waiting for the model before its reader stops reading."""
    max_chunk_seconds: float = 10.0
    """Largest chunk accepted; a larger one is an error (WebSocket 1009, gRPC INVALID_ARGUMENT)."""
    offline_jobs: int = 1
    """Uploaded files animated at once."""
    offline_waiting: int = 4
    """Uploads that may wait for a turn; more are refused (HTTP 503)."""
    workers: int = 0
    """Inference threads (0: one a CPU core)."""
    idle_seconds: float = 30.0
    """A stream that sends nothing for this long is closed."""


class Engine:
    """Admission and execution for every stream and upload of one server."""

    def __init__(self, factory, limits: EngineLimits | None = None, files=None):
        """``files``: the (loaded model, template) that animates uploaded files (default: the
        streams', ``factory.loaded`` and ``factory.template``)."""
        self.factory = factory
        self._files = files
        self.limits = limits or EngineLimits()
        workers = self.limits.workers or os.cpu_count() or 1
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="selftalk-infer")
        self.streams: set[LiveStream] = set()
        self.closing = False
        self.stats = LatencyStats()
        self.counts = {"streams": 0, "refused": 0, "errors": 0, "cancelled": 0, "jobs": 0}
        self._jobs = asyncio.Semaphore(self.limits.offline_jobs)
        self._waiting = 0

    @property
    def files(self):
        """(loaded model, template) for uploaded files."""
        return self._files or (self.factory.loaded, self.factory.template)

    async def run(self, fn, *args):
        """``fn(*args)`` in the inference pool."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def open(self, rate: int) -> LiveStream:
        """A new stream at ``rate`` Hz, or :class:`Busy` / :class:`ShuttingDown`."""
        if self.closing:
            raise ShuttingDown("the server is shutting down")
        if len(self.streams) >= self.limits.max_streams:
            self.counts["refused"] += 1
            raise Busy(f"the server is serving its maximum of {self.limits.max_streams} streams")
        offset, slot = self._stagger(time.monotonic())
        # may raise StreamError (a sample rate the factory cannot take)
        streamer = self.factory.streamer(rate=rate, keep_vertices=False, offset=offset)
        stream = LiveStream(self, streamer)
        stream.slot = slot
        self.streams.add(stream)
        self.counts["streams"] += 1
        return stream

    def _stagger(self, now: float) -> tuple[float, float | None]:
        """How early a new stream's blocks should start (seconds) to put its passes furthest,
        in wall-clock time modulo a block, from those of the streams running, and the slot
        it then takes (None where the session cannot be staggered).

        Streams that start together would otherwise need the model at the same moments and
        wait for one another: four clients started at once on 2 cores, p95 latency 251 ms
        (benchmarks/bench_stream.py), against 173 ms when their passes are spread.
        """
        step = getattr(self.factory, "offset_step", None)
        block = getattr(getattr(self.factory, "settings", None), "block", None)
        if not step or not block:
            return 0.0, None
        busy = [s.slot for s in self.streams if s.slot is not None]

        def distance(slot: float) -> float:  # to the nearest busy slot, around the block
            gaps = (abs(slot - b) % block for b in busy)
            return min((min(g, block - g) for g in gaps), default=block)

        offsets = [k * step for k in range(max(1, round(block / step)))]
        offset = max(offsets, key=lambda o: distance((now - o) % block))
        return offset, (now - offset) % block

    async def job(self, fn, *args):
        """Run an offline job (an upload) when a slot is free; :class:`Busy` if too many wait."""
        if self.closing:
            raise ShuttingDown("the server is shutting down")
        if self._jobs.locked() and self._waiting >= self.limits.offline_waiting:
            self.counts["refused"] += 1
            raise Busy("too many files are waiting to be animated")
        self._waiting += 1
        try:
            await self._jobs.acquire()
        finally:
            self._waiting -= 1
        try:
            self.counts["jobs"] += 1
            return await self.run(fn, *args)
        finally:
            self._jobs.release()

    def health(self) -> dict:
        return {
            "status": "stopping" if self.closing else "ok",
            "streams": {"active": len(self.streams), "max": self.limits.max_streams},
            "counts": dict(self.counts),
            "latency": self.stats.summary(),
        }

    async def shutdown(self, grace: float) -> None:
        """Take no new work; give running streams ``grace`` seconds, then cancel them."""
        self.closing = True
        deadline = time.monotonic() + grace
        while self.streams and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for stream in list(self.streams):
            stream.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)


_END = object()


class LiveStream:
    """One client's stream: :meth:`feed` chunks, :meth:`end`, and iterate :meth:`frames`."""

    def __init__(self, engine: Engine, streamer):
        self.engine = engine
        self.streamer = streamer
        self.rate = streamer.rate
        self.fps = streamer.fps
        self.lookahead = streamer.lookahead
        limits = engine.limits
        self.max_chunk = int(limits.max_chunk_seconds * self.rate)
        self._budget = max(int(limits.queue_seconds * self.rate), self.max_chunk)
        self._queued = 0
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._outbox: asyncio.Queue = asyncio.Queue(maxsize=64)
        self._room = asyncio.Event()
        self._room.set()
        self._ended = False
        self._task = asyncio.get_running_loop().create_task(self._work())
        self.samples = 0
        self.slot: float | None = None  # when its passes fall, modulo a block (Engine._stagger)

    async def feed(self, samples: np.ndarray, arrived: float | None = None) -> None:
        """Queue a chunk (waits while the queue is full); :class:`StreamError` if it is bad."""
        arrived = time.perf_counter() if arrived is None else arrived
        if self._ended:
            raise StreamError("audio after the end of the stream")
        self.check_size(len(samples))
        while self._queued and self._queued + len(samples) > self._budget:
            self._room.clear()
            await self._room.wait()
        self._queued += len(samples)
        self.samples += len(samples)
        self._inbox.put_nowait((samples, arrived))

    def check_size(self, n: int) -> None:
        """:class:`StreamError` for a chunk of ``n`` samples over the limit."""
        if n > self.max_chunk:
            raise StreamError(
                f"a chunk of {n} samples is over the limit of "
                f"{self.engine.limits.max_chunk_seconds:g} s ({self.max_chunk} samples)"
            )

    async def end(self) -> None:
        """No more audio: the remaining frames follow, then the frames iterator stops."""
        if not self._ended:
            self._ended = True
            self._inbox.put_nowait(_END)

    async def frames(self):
        """Frames as they are decided; raises the stream's error, if it had one."""
        while True:
            item = await self._outbox.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                try:
                    raise item
                finally:  # the error's traceback holds this frame: no cycle through ``item``
                    item = None
            yield item

    def fail(self, error: Exception) -> None:
        """End the stream with ``error`` (a bad message): :meth:`frames` raises it next."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        while not self._outbox.empty():
            self._outbox.get_nowait()
        self._outbox.put_nowait(error)
        self._close()

    def cancel(self) -> None:
        """The client went away or the server stops: drop the stream."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            self.engine.counts["cancelled"] += 1
        self._close()

    def _close(self) -> None:
        """Leave the engine, and drop the task: a cancelled or failed task keeps an exception
        whose traceback holds this stream, a cycle that only Python's cycle collector would
        free, with the stream's state (benchmarks/bench_stream.py's load test: a server's
        memory swung by 130 MB between collections)."""
        self.engine.streams.discard(self)
        self._task = None

    async def _work(self) -> None:
        try:
            while True:
                items = [await self._inbox.get()]
                while not self._inbox.empty() and items[-1] is not _END:
                    items.append(self._inbox.get_nowait())  # coalesce what queued meanwhile
                ending = items[-1] is _END
                chunks = items[:-1] if ending else items
                self._queued -= sum(len(c[0]) for c in chunks)
                self._room.set()
                out = await self.engine.run(_push_all, self.streamer, chunks, ending)
                for frames in out:
                    self.engine.stats.add(frames.latency)
                    await self._outbox.put(frames)
                if ending:
                    await self._outbox.put(_END)
                    return
        except asyncio.CancelledError:
            raise
        except StreamError as error:  # without its traceback, which holds the stream's state
            await self._outbox.put(error.with_traceback(None))
        except Exception as error:  # noqa: BLE001 - a bug must end this stream, not the server
            log.exception("stream failed")
            self.engine.counts["errors"] += 1
            await self._outbox.put(RuntimeError(f"internal error: {error}"))
        finally:
            self._close()


def _push_all(streamer, chunks, ending: bool) -> list[Frames]:
    """Push queued chunks in one pass (and flush at the end) in one trip to the pool."""
    out = [streamer.push_many(chunks)] if chunks else []
    if ending:
        out.append(streamer.flush())
    return [f for f in out if len(f)]
