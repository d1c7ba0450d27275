"""Real clients of the server: aiohttp (HTTP, WebSocket) and the nvidia-audio2face-3d stubs."""

import asyncio
import json

import numpy as np


def pcm16(audio):
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


async def ws_stream(url, pcm, *, rate=16_000, chunk_bytes=640, pace=0.0, config=True, end=True):
    """Send ``pcm`` over a WebSocket; returns (messages received, close code)."""
    import aiohttp

    messages = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            if config:
                await ws.send_str(json.dumps({"rate": rate, "format": "s16le"}))

            async def read():
                async for msg in ws:
                    messages.append(json.loads(msg.data))

            reader = asyncio.create_task(read())
            try:
                for i in range(0, len(pcm), chunk_bytes):
                    await ws.send_bytes(pcm[i : i + chunk_bytes])
                    if pace:
                        await asyncio.sleep(pace)
                if end:
                    await ws.send_str(json.dumps({"type": "end"}))
            except (ConnectionResetError, aiohttp.ClientConnectionResetError):
                pass
            await asyncio.wait_for(reader, 60)
            return messages, ws.close_code


def a2f_header(rate=16_000, bits=16, channels=1, **params):
    from nvidia_ace import audio_pb2
    from nvidia_audio2face_3d import messages_pb2 as m

    return m.AudioWithEmotionStream(
        audio_stream_header=m.AudioWithEmotionStreamHeader(
            audio_header=audio_pb2.AudioHeader(
                audio_format=audio_pb2.AudioHeader.AUDIO_FORMAT_PCM,
                channel_count=channels,
                samples_per_second=rate,
                bits_per_sample=bits,
            ),
            **params,
        )
    )


def a2f_audio(pcm):
    from nvidia_audio2face_3d import messages_pb2 as m

    return m.AudioWithEmotionStream(audio_with_emotion=m.AudioWithEmotion(audio_buffer=pcm))


def a2f_end():
    from nvidia_audio2face_3d import messages_pb2 as m

    return m.AudioWithEmotionStream(end_of_audio=m.AudioWithEmotionStream.EndOfAudio())


async def a2f_stream(address, requests, *, stop_after=None):
    """Run ProcessAudioStream with ``requests``; returns (responses, grpc status code, details).
    ``stop_after``: cancel the call after that many responses (a client vanishing)."""
    import grpc
    from nvidia_audio2face_3d import audio2face_pb2_grpc

    async with grpc.aio.insecure_channel(address) as channel:
        stub = audio2face_pb2_grpc.A2FControllerServiceStub(channel)
        call = stub.ProcessAudioStream()

        async def write():
            try:
                for request in requests:
                    await call.write(request)
                await call.done_writing()
            except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
                pass

        writer = asyncio.create_task(write())
        responses = []
        try:
            async for response in call:
                responses.append(response)
                if stop_after is not None and len(responses) >= stop_after:
                    call.cancel()
                    break
        except grpc.aio.AioRpcError:
            pass
        await asyncio.wait([writer], timeout=10)
        writer.cancel()
        if stop_after is not None:
            return responses, None, None
        return responses, await call.code(), await call.details()
