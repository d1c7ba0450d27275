"""NVIDIA Audio2Face-3D's streaming gRPC protocol, served by selftalk.

``nvidia_ace.services.a2f_controller.v1.A2FControllerService/ProcessAudioStream`` with the
messages of PyPI ``nvidia-audio2face-3d`` (bidirectional stream):

  in:  ``AudioWithEmotionStream`` — a header (``AudioHeader``: PCM, mono, 16-bit, any rate;
       face / blendshape / emotion parameters), audio chunks, an end-of-audio marker;
  out: ``A2F3DAnimationDataStream`` — a header (the audio format and the 52 ARKit blendshape
       names), animation data (per-frame weights with time codes in seconds, and the audio
       those frames cover, echoed), an ``END_OF_A2F_AUDIO_PROCESSING`` event, a status.

Blendshape multipliers, offsets and clamping are applied as Audio2Face-3D applies them
(``w * multiplier + offset``, clamped to [0, 1] when asked). Parameters selftalk has no
equivalent for (face parameters, emotions) are accepted, logged once each, and ignored.
A bad header, a bad chunk or an oversized one gets an ``ERROR`` status in the stream and the
RPC ends with ``INVALID_ARGUMENT``; a full server answers ``RESOURCE_EXHAUSTED``.
"""

from __future__ import annotations

import asyncio
import logging
import time

import grpc
import numpy as np
from nvidia_ace import animation_pb2, audio_pb2, status_pb2
from nvidia_audio2face_3d import audio2face_pb2_grpc as services
from nvidia_audio2face_3d import messages_pb2 as messages

from selftalk.arkit import LIVE_LINK as ARKIT_NAMES
from selftalk.errors import StreamError
from selftalk.serve.engine import Busy, ShuttingDown
from selftalk.streaming.streamer import MAX_RATE, MIN_RATE, pcm16_to_float

log = logging.getLogger("selftalk.serve")
_noted: set[str] = set()


def note_unsupported(name: str) -> None:
    """Log, once per process, that an Audio2Face-3D parameter is accepted and ignored."""
    if name not in _noted:
        _noted.add(name)
        log.warning("Audio2Face-3D parameter %s is not supported by selftalk: ignored", name)


class A2FController(services.A2FControllerServiceServicer):
    """The Audio2Face-3D controller service over an :class:`~selftalk.serve.engine.Engine`."""

    def __init__(self, engine):
        self.engine = engine

    async def ProcessAudioStream(self, request_iterator, context):  # noqa: N802 - gRPC name
        requests = request_iterator.__aiter__()
        stream = feeder = echo = None
        try:
            first = await _next(requests, context, self.engine.limits.idle_seconds)
            if first is None:
                return
            if not first.HasField("audio_stream_header"):
                raise StreamError("the first message must be an audio_stream_header")
            header = first.audio_stream_header
            rate = check_audio_header(header.audio_header)
            shaping = BlendshapeShaping(header)
            stream = self.engine.open(rate)
            yield messages.A2F3DAnimationDataStream(
                animation_data_stream_header=messages.A2F3DAnimationDataStreamHeader(
                    audio_header=_audio_header(rate),
                    skel_animation_header=animation_pb2.SkelAnimationHeader(
                        blend_shapes=list(ARKIT_NAMES)
                    ),
                    start_time_code_since_epoch=time.time(),
                )
            )
            echo = AudioEcho(rate, stream.fps)
            feeder = asyncio.create_task(self._feed(requests, stream, echo, context))
            async for frames in stream.frames():
                yield _animation(frames, shaping, echo.take(frames.start + len(frames)))
            await feeder
            rest = echo.take(None)
            if rest is not None:
                yield messages.A2F3DAnimationDataStream(
                    animation_data=animation_pb2.AnimationData(audio=rest)
                )
            yield messages.A2F3DAnimationDataStream(
                event=messages.Event(event_type=messages.END_OF_A2F_AUDIO_PROCESSING)
            )
            yield _status(status_pb2.Status.SUCCESS, f"{stream.streamer.stats.count} frames")
        except StreamError as error:
            yield _status(status_pb2.Status.ERROR, str(error))
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except Busy as error:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(error))
        except ShuttingDown as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(error))
        except RuntimeError as error:  # a stream's internal error
            yield _status(status_pb2.Status.ERROR, str(error))
            await context.abort(grpc.StatusCode.INTERNAL, str(error))
        finally:
            if feeder is not None and not feeder.done():
                feeder.cancel()
            if stream is not None:
                stream.cancel()
            # an exception's traceback may keep this frame (a vanished client's cancellation,
            # an abort): it must not keep the stream's state and audio
            stream = feeder = echo = None

    async def _feed(self, requests, stream, echo, context) -> None:
        """Read chunks until end of audio; a bad one ends the stream with its error."""
        try:
            while True:
                request = await _next(requests, context, self.engine.limits.idle_seconds)
                if request is None or request.HasField("end_of_audio"):
                    break
                if request.HasField("audio_stream_header"):
                    raise StreamError("a second audio_stream_header in one stream")
                if not request.HasField("audio_with_emotion"):
                    raise StreamError("expected audio_with_emotion or end_of_audio")
                arrived = time.perf_counter()
                chunk = request.audio_with_emotion
                if len(chunk.emotions):
                    note_unsupported("audio_with_emotion.emotions")
                stream.check_size(len(chunk.audio_buffer) // 2)
                samples = pcm16_to_float(chunk.audio_buffer)
                echo.add(chunk.audio_buffer)
                await stream.feed(samples, arrived)
            await stream.end()
        except StreamError as error:
            stream.fail(error)
        except TimeoutError:
            stream.fail(StreamError(f"no audio for {self.engine.limits.idle_seconds:g} s"))


async def _next(requests, context, timeout: float):
    """The next request, None at the end of the request stream."""
    try:
        return await asyncio.wait_for(requests.__anext__(), timeout)
    except StopAsyncIteration:
        return None


def check_audio_header(header) -> int:
    """The sample rate of a supported ``AudioHeader``; :class:`StreamError` otherwise."""
    if header.audio_format != audio_pb2.AudioHeader.AUDIO_FORMAT_PCM:
        raise StreamError(f"audio_format {header.audio_format} is not supported (PCM only)")
    if header.channel_count != 1:
        raise StreamError(f"channel_count {header.channel_count} is not supported (mono only)")
    if header.bits_per_sample != 16:
        raise StreamError(f"bits_per_sample {header.bits_per_sample} is not supported (16 only)")
    if not MIN_RATE <= header.samples_per_second <= MAX_RATE:
        raise StreamError(
            f"samples_per_second {header.samples_per_second} is out of range ({MIN_RATE}-{MAX_RATE})"
        )
    return int(header.samples_per_second)


def _audio_header(rate: int):
    return audio_pb2.AudioHeader(
        audio_format=audio_pb2.AudioHeader.AUDIO_FORMAT_PCM,
        channel_count=1,
        samples_per_second=rate,
        bits_per_sample=16,
    )


def _status(code, message: str):
    return messages.A2F3DAnimationDataStream(status=status_pb2.Status(code=code, message=message))


class BlendshapeShaping:
    """The header's blendshape parameters, applied to (k, 52) weights; the rest noted."""

    def __init__(self, header):
        params = header.blendshape_params
        index = {name: i for i, name in enumerate(ARKIT_NAMES)}
        self.scale = np.ones(len(ARKIT_NAMES), np.float32)
        self.offset = np.zeros(len(ARKIT_NAMES), np.float32)
        for table, target in (
            (params.bs_weight_multipliers, self.scale),
            (params.bs_weight_offsets, self.offset),
        ):
            for name, value in table.items():
                if name in index:
                    target[index[name]] = value
                else:
                    note_unsupported(f"blendshape_params.{name}")
        self.clamp = bool(params.enable_clamping_bs_weight)
        for name in header.face_params.float_params:
            note_unsupported(f"face_params.{name}")
        for name in header.face_params.integer_params:
            note_unsupported(f"face_params.{name}")
        for name in header.face_params.float_array_params:
            note_unsupported(f"face_params.{name}")
        if header.HasField("emotion_post_processing_params"):
            note_unsupported("emotion_post_processing_params")
        if header.HasField("emotion_params"):
            note_unsupported("emotion_params")

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        out = weights * self.scale + self.offset
        return np.clip(out, 0.0, 1.0) if self.clamp else out


class AudioEcho:
    """The received PCM, handed back in step with the frames that cover it (bounded: only
    audio not yet echoed is held)."""

    def __init__(self, rate: int, fps: float):
        self.rate, self.fps = rate, fps
        self._pcm = bytearray()
        self._start = 0  # sample index of _pcm[0]

    def add(self, pcm: bytes) -> None:
        self._pcm += pcm

    def take(self, frame_stop: int | None):
        """``AudioWithTimeCode`` for the audio before frame ``frame_stop`` (all: None)."""
        held = len(self._pcm) // 2
        stop = (
            held
            if frame_stop is None
            else min(held, int(round(frame_stop / self.fps * self.rate)) - self._start)
        )
        if stop <= 0:
            return None
        chunk = bytes(self._pcm[: 2 * stop])
        del self._pcm[: 2 * stop]
        audio = animation_pb2.AudioWithTimeCode(
            time_code=self._start / self.rate, audio_buffer=chunk
        )
        self._start += stop
        return audio


def _animation(frames, shaping: BlendshapeShaping, audio):
    weights = shaping(frames.weights)
    skel = animation_pb2.SkelAnimation(
        blend_shape_weights=[
            animation_pb2.FloatArrayWithTimeCode(time_code=float(t), values=row.tolist())
            for t, row in zip(frames.times, weights)
        ]
    )
    data = animation_pb2.AnimationData(skel_animation=skel)
    if audio is not None:
        data.audio.CopyFrom(audio)
    return messages.A2F3DAnimationDataStream(animation_data=data)


async def start_grpc(engine, host: str, port: int, *, max_message_mb: float = 16.0):
    """A running grpc.aio server with the Audio2Face-3D service; returns (server, bound port)."""
    size = int(max_message_mb * 1024 * 1024)
    server = grpc.aio.server(
        options=[("grpc.max_receive_message_length", size), ("grpc.max_send_message_length", size)]
    )
    services.add_A2FControllerServiceServicer_to_server(A2FController(engine), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen for gRPC on {host}:{port}")
    await server.start()
    return server, bound
