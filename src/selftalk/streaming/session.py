"""The streaming interface every model offers, and the factory that opens one.

A :class:`StreamSession` turns 16 kHz audio, pushed in chunks of any size, into mesh frames as
soon as they are decided. A model may offer its own (``model.stream_session(template)``,
exact for models with a bounded receptive field); every other model is streamed by
:class:`~selftalk.streaming.windowed.WindowedStreamSession`, which runs the model's offline
prediction over a sliding window.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from selftalk.errors import ConfigError


@runtime_checkable
class StreamSession(Protocol):
    """Audio in, mesh frames out, incrementally (one stream; not thread-safe).

    Attributes:
        fps: mesh frames per second.
        lookahead: seconds of audio needed after a frame's time before it is decided.
    """

    fps: float
    lookahead: float

    def push(self, samples: np.ndarray) -> np.ndarray:
        """(n,) float32 16 kHz audio → (k, V, 3) float32 frames decided by it (k may be 0)."""
        ...

    def flush(self) -> np.ndarray:
        """End of stream → (k, V, 3) the frames still undecided."""
        ...


def open_session(
    model,
    template: np.ndarray,
    *,
    native: bool = True,
    block: float = 0.1,
    ears_window: tuple[int, int] | None = None,
    offset: float = 0.0,
    **window_options,
):
    """A stream session for ``model`` (a :class:`~selftalk.models.selftalk.SelfTalk` or any
    model with ``predict``) animating ``template`` (V, 3).

    The model's own ``stream_session(template, core=...)`` is used when it has one (and
    ``native``), deciding ``block`` seconds of recognizer frames at a time; otherwise a
    :class:`~selftalk.streaming.windowed.WindowedStreamSession` built with ``block`` and
    ``window_options`` (see :class:`~selftalk.streaming.windowed.WindowOptions`).
    ``ears_window``: (left, right) recognizer context frames of a session of its own,
    instead of the model's. ``offset``: seconds by which the blocks of a session of its own
    start early (its first block is that much shorter; a server staggers its streams' passes
    with it); the windowed session ignores it.
    """
    session = _unsmoothed_session(
        model, template, native, block, ears_window, offset, window_options
    )
    taps = getattr(getattr(getattr(model, "config", None), "animator", None), "smoothing", 1)
    return SmoothedSession(session, taps) if taps > 1 else session


def _unsmoothed_session(model, template, native, block, ears_window, offset, window_options):
    factory = getattr(model, "stream_session", None)
    if native and callable(factory) and getattr(model, "streams_natively", True):
        from selftalk.models.phonetic_encoder import AUDIO_RATE  # recognizer frames a second

        core = max(1, round(block * AUDIO_RATE))
        template = np.asarray(template, np.float32)
        options = {}
        if ears_window is not None:
            options["contexts"] = tuple(ears_window)
        if phase := round(offset * AUDIO_RATE) % core:
            options["phase"] = phase
        return factory(template, core=core, **options)
    if ears_window is not None:
        raise ConfigError("--ears-window applies to models that hear through phonemes")
    from selftalk.streaming.windowed import WindowedStreamSession, WindowOptions

    return WindowedStreamSession(model, template, WindowOptions(block=block, **window_options))


class SmoothedSession:
    """A stream session whose frames pass through the model's output low-pass
    (:class:`~selftalk.models.smoothing.MotionSmoother`), as offline motion does: each frame
    waits for ``taps // 2`` more, which adds that many frames to the look-ahead."""

    def __init__(self, session, taps: int):
        from selftalk.models.smoothing import MotionSmoother

        self.session = session
        self.smoother = MotionSmoother(taps)
        self.fps = session.fps
        self.lookahead = session.lookahead + self.smoother.reach / session.fps

    def __getattr__(self, name: str):  # samples_in, buffered_samples… of the inner session
        return getattr(self.session, name)

    def push(self, samples: np.ndarray) -> np.ndarray:
        return self.smoother.push(self.session.push(samples))

    def flush(self) -> np.ndarray:
        last = self.session.flush()
        parts = [f for f in (self.smoother.push(last), self.smoother.flush()) if len(f)]
        return np.concatenate(parts) if parts else last
