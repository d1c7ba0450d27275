"""The server's stream engine frees each stream's state as soon as the stream ends."""

import asyncio
import gc
import weakref

import numpy as np
import pytest

from selftalk.errors import StreamError
from selftalk.serve.engine import Engine, EngineLimits
from selftalk.streaming.streamer import Frames, LatencyStats


class FakeStreamer:
    """Decides one frame a push; holds a large buffer, as a real stream's state does."""

    rate, fps, lookahead = 16_000, 30.0, 0.1

    def __init__(self, fail_on_push: bool = False):
        self.state = np.zeros(1 << 20, np.float32)
        self.stats = LatencyStats()
        self.fail_on_push = fail_on_push

    def push_many(self, chunks) -> Frames:
        if self.fail_on_push:
            raise StreamError("a bad chunk")
        return self._frames(1)

    def flush(self) -> Frames:
        return self._frames(0)

    def _frames(self, n: int) -> Frames:
        return Frames(
            start=0,
            fps=self.fps,
            weights=np.zeros((n, 52), np.float32),
            vertices=np.zeros((n, 0, 3), np.float32),
            latency=np.zeros(n),
        )


class FakeFactory:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.made: list[weakref.ref] = []

    def streamer(self, *, rate, keep_vertices, offset=0.0):
        streamer = FakeStreamer(**self.kwargs)
        self.made.append(weakref.ref(streamer))
        return streamer


async def _run_stream(engine: Engine, how: str) -> None:
    stream = engine.open(16_000)
    await stream.feed(np.zeros(320, np.float32))
    if how == "end":
        await stream.end()
        async for _ in stream.frames():
            pass
    elif how == "cancel":
        await asyncio.sleep(0.05)
        stream.cancel()
    elif how == "fail":
        stream.fail(StreamError("a malformed message"))
    elif how == "error":  # as the protocols do: report the error and let it go
        try:
            async for _ in stream.frames():
                pass
        except StreamError as error:
            assert "bad chunk" in str(error)
        else:
            raise AssertionError("the stream's error was not raised")
    await asyncio.sleep(0.05)


@pytest.mark.parametrize("how", ["end", "cancel", "fail", "error"])
def test_a_finished_stream_is_freed_without_the_cycle_collector(how):
    """A stream's state goes when the stream does, by reference counting alone: waiting for
    Python's cycle collector let a busy server's memory swing by 100 MB and more."""
    factory = FakeFactory(fail_on_push=how == "error")

    async def main():
        engine = Engine(factory, EngineLimits(workers=1))
        try:
            await _run_stream(engine, how)
        finally:
            engine.executor.shutdown(wait=True)

    gc.collect()
    gc.disable()
    try:
        asyncio.run(main())
        alive = [ref for ref in factory.made if ref() is not None]
    finally:
        gc.enable()
    assert factory.made and not alive


def test_streams_that_start_together_are_staggered(monkeypatch):
    """Four streams opened at once get passes spread over the block (on 2 cores, streams
    whose passes coincide wait for one another); a factory without phases gets offset 0.
    "At once" is one instant of the engine's clock: on a loaded machine, real opens a few ms
    apart shift the busy slots off the 20 ms grid, and the best offset may then be closer."""
    import time
    from types import SimpleNamespace

    from selftalk.serve import engine as engine_module

    clock = SimpleNamespace(monotonic=lambda: 1000.0, perf_counter=time.perf_counter)
    monkeypatch.setattr(engine_module, "time", clock)

    class StaggeringFactory(FakeFactory):
        offset_step = 0.02

        class settings:
            block = 0.1

        def streamer(self, *, rate, keep_vertices, offset=0.0):
            self.offsets.append(offset)
            return super().streamer(rate=rate, keep_vertices=keep_vertices)

    async def open_four(factory):
        engine = Engine(factory, EngineLimits(workers=1))
        streams = [engine.open(16_000) for _ in range(4)]
        slots = [s.slot for s in streams]
        for s in streams:
            s.cancel()
        engine.executor.shutdown(wait=True)
        return slots

    staggering = StaggeringFactory()
    staggering.offsets = []
    slots = asyncio.run(open_four(staggering))
    assert len(set(staggering.offsets)) == 4
    assert all(round(o / 0.02, 6).is_integer() and 0 <= o < 0.1 for o in staggering.offsets)
    gaps = [abs(a - b) % 0.1 for i, a in enumerate(slots) for b in slots[i + 1 :]]
    assert min(min(g, 0.1 - g) for g in gaps) >= 0.02 - 1e-3

    plain = FakeFactory()
    assert asyncio.run(open_four(plain)) == [None] * 4
