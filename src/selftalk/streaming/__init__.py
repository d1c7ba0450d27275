"""Real time: push audio chunks of any size, get frames (vertices, ARKit weights) as soon as
they are decided.

Public API::

    from selftalk.streaming import open_session, Streamer
    from selftalk.export.arkit_stream import ArkitStreamSolver

    session = open_session(loaded.model, template)         # native, or windowed offline model
    streamer = Streamer(session, rate=48_000, solver=ArkitStreamSolver(neutral=template))
    for chunk in chunks:
        frames = streamer.push(chunk)                      # Frames: vertices, weights, latency
    frames = streamer.flush()

Servers (``selftalk serve``) live in :mod:`selftalk.serve`.
"""

from selftalk.streaming.session import StreamSession, open_session
from selftalk.streaming.streamer import Frames, LatencyStats, Streamer, check_chunk, pcm16_to_float

__all__ = [
    "Frames",
    "LatencyStats",
    "StreamSession",
    "Streamer",
    "check_chunk",
    "open_session",
    "pcm16_to_float",
]
