"""The WebSocket protocol at ``/stream``: PCM chunks in, ARKit frames out.

Client → server:
  1. optionally, a text message ``{"rate": 48000, "format": "s16le" | "f32le"}`` (default
     16000 Hz, s16le: signed 16-bit little-endian mono);
  2. binary messages, each a chunk of samples (any length up to the chunk limit);
  3. a text message ``{"type": "end"}`` when the audio ends (or just close the socket).

Server → client (text, JSON):
  - ``{"type": "ready", "fps", "rate", "lookahead", "names": [52 ARKit names]}``;
  - ``{"type": "frames", "start": k, "times": [...], "weights": [[52 floats], ...]}``;
  - ``{"type": "end", "frames": n, "latency": {...}}`` after the last frames, then close (1000);
  - ``{"type": "error", "message": "..."}`` then close: 1003 malformed message, 1009 chunk too
    large, 1013 server busy, 1001 server shutting down, 1011 internal error.
"""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np
from aiohttp import WSMsgType, web

from selftalk.arkit import LIVE_LINK as ARKIT_NAMES
from selftalk.errors import StreamError
from selftalk.serve.engine import Busy, ShuttingDown, log

FORMATS = {"s16le": ("<i2", 32768.0), "f32le": ("<f4", 1.0)}
BAD_DATA, TOO_BIG, TRY_LATER, GOING_AWAY, INTERNAL = 1003, 1009, 1013, 1001, 1011


def decode(data: bytes, fmt: str) -> np.ndarray:
    """A binary message → (n,) float32 samples; :class:`StreamError` if it cannot be one."""
    dtype, scale = FORMATS[fmt]
    width = np.dtype(dtype).itemsize
    if len(data) % width:
        raise StreamError(f"a {fmt} chunk needs a multiple of {width} bytes, got {len(data)}")
    samples = np.frombuffer(data, dtype).astype(np.float32)
    return samples / scale if scale != 1.0 else samples


def parse_config(text: str) -> tuple[int, str]:
    """The opening text message → (rate, format); :class:`StreamError` if malformed."""
    try:
        config = json.loads(text)
    except json.JSONDecodeError:
        raise StreamError('the first text message must be JSON, e.g. {"rate": 48000}') from None
    if not isinstance(config, dict):
        raise StreamError("the configuration must be a JSON object")
    unknown = set(config) - {"type", "rate", "format"}
    if unknown:
        raise StreamError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
    rate, fmt = config.get("rate", 16_000), config.get("format", "s16le")
    if not isinstance(rate, int) or isinstance(rate, bool):
        raise StreamError(f"rate must be an integer number of Hz, got {rate!r}")
    if fmt not in FORMATS:
        raise StreamError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return rate, fmt


async def stream_socket(request: web.Request) -> web.WebSocketResponse:
    engine = request.app["engine"]
    limits = engine.limits
    # aiohttp closes with 1009 itself above max_msg_size; our own check below says more
    ws = web.WebSocketResponse(
        max_msg_size=int(limits.max_chunk_seconds * 192_000 * 4) + 4096, heartbeat=20
    )
    await ws.prepare(request)
    stream = sender = None
    try:
        first = await ws.receive(timeout=limits.idle_seconds)
        rate, fmt, pending = 16_000, "s16le", None
        if first.type == WSMsgType.TEXT:
            rate, fmt = parse_config(first.data)
        elif first.type == WSMsgType.BINARY:
            pending = first.data
        else:
            return ws
        stream = engine.open(rate)
        await ws.send_json(
            {
                "type": "ready",
                "fps": stream.fps,
                "rate": rate,
                "format": fmt,
                "lookahead": stream.lookahead,
                "names": list(ARKIT_NAMES),
            }
        )
        sender = asyncio.create_task(_send_frames(ws, stream))
        if pending is not None:
            await _feed(stream, pending, fmt)
        while True:
            message = await ws.receive(timeout=limits.idle_seconds)
            if message.type == WSMsgType.BINARY:
                await _feed(stream, message.data, fmt)
            elif message.type == WSMsgType.TEXT:
                if _is_end(message.data):
                    await stream.end()
                    break
                raise StreamError('after the configuration, only binary audio and {"type": "end"}')
            elif message.type == WSMsgType.ERROR and ws.exception() is not None:
                raise StreamError(str(ws.exception()))
            else:  # the client closed (or vanished): drop the stream
                stream.cancel()
                return ws
        await sender
    except StreamError as error:
        code = TOO_BIG if "over the limit" in str(error) else BAD_DATA
        await _fail(ws, str(error), code)
    except Busy as error:
        await _fail(ws, str(error), TRY_LATER)
    except ShuttingDown as error:
        await _fail(ws, str(error), GOING_AWAY)
    except TimeoutError:
        await _fail(ws, f"no audio for {limits.idle_seconds:g} s", BAD_DATA)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    except Exception as error:  # noqa: BLE001 - a bug ends this stream, never the server
        log.exception("WebSocket stream failed")
        await _fail(ws, f"internal error: {error}", INTERNAL)
    finally:
        if stream is not None:
            stream.cancel()
        if sender is not None and not sender.done():
            sender.cancel()
        # an exception's traceback may keep this frame: it must not keep the stream's state
        stream = sender = None
    return ws


async def _feed(stream, data: bytes, fmt: str) -> None:
    arrived = time.perf_counter()
    stream.check_size(len(data) // np.dtype(FORMATS[fmt][0]).itemsize)
    await stream.feed(decode(data, fmt), arrived)


def _is_end(text: str) -> bool:
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(message, dict) and message.get("type") == "end"


async def _send_frames(ws: web.WebSocketResponse, stream) -> None:
    try:
        async for frames in stream.frames():
            await ws.send_json(
                {
                    "type": "frames",
                    "start": frames.start,
                    "times": [round(float(t), 6) for t in frames.times],
                    "weights": np.round(frames.weights, 4).tolist(),
                }
            )
        await ws.send_json(
            {
                "type": "end",
                "frames": stream.streamer.stats.count,
                "latency": stream.streamer.stats.summary(),
            }
        )
        await ws.close()
    except StreamError as error:
        await _fail(ws, str(error), BAD_DATA)
    except RuntimeError as error:
        await _fail(ws, str(error), INTERNAL)
    except ConnectionResetError:
        stream.cancel()


async def _fail(ws: web.WebSocketResponse, message: str, code: int) -> None:
    if ws.closed:
        return
    try:
        await ws.send_json({"type": "error", "message": message})
        await ws.close(code=code, message=message[:120].encode())
    except ConnectionResetError:
        pass
