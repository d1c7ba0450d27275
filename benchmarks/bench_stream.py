#!/usr/bin/env python3
"""Real time: latency, capacity and a load test of streaming with the bundled streaming model.

    python benchmarks/bench_stream.py [--seconds 12] [--out benchmarks/results/stream.json]
    python benchmarks/bench_stream.py --only latency     # or capacity, load
    python benchmarks/bench_stream.py --ears-window 32 4 --out benchmarks/results/stream_32_4.json

1. latency: one stream through the library (``Streamer``), 20 ms chunks arriving at
   real-time pace; per-frame latency from the arrival of the chunk holding the frame's audio
   to the frame's emission (look-ahead, block wait and computation included).
2. capacity: N simultaneous real-time WebSocket clients of one ``selftalk serve`` on
   loopback, 20 ms chunks; latency measured by the clients (chunk sent → its frames
   received); N grows until p95 passes the 250 ms target.
3. load: rounds of concurrent gRPC and WebSocket clients, more than the server takes, some
   vanishing mid-stream: every stream must be answered or cleanly refused; the server's
   memory (RSS) after the first round and after the last.

The machine is shared: the load average before and after each part is recorded with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "streaming"))  # the tests' real clients and server

TARGET_P95 = 0.25
CHUNK = 0.02


def speech(seconds: float) -> np.ndarray:
    example, rate = soundfile.read(ROOT / "examples/hello.wav", dtype="float32")
    assert rate == 16_000
    return np.tile(example, int(np.ceil(seconds * rate / len(example))))[: int(seconds * rate)]


def percentiles(values) -> dict:
    values = np.asarray(values, float)
    if not len(values):
        return {"n": 0}
    return {
        "n": int(len(values)),
        **{f"p{q}": round(float(np.percentile(values, q)), 4) for q in (50, 95, 99)},
        "max": round(float(values.max()), 4),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---- 1. latency, in process -----------------------------------------------------------------


def bench_latency(audio: np.ndarray, settings) -> dict:
    from selftalk.inference.loading import load_model
    from selftalk.streaming.pipeline import StreamFactory, compute_on_one_thread

    compute_on_one_thread()  # as `selftalk stream` and `selftalk serve` do
    loaded = load_model(streaming=True)  # what `selftalk stream` and `serve` load
    factory = StreamFactory(loaded, loaded.template(), settings)
    factory.warm_up()
    streamer = factory.streamer()
    n = int(CHUNK * 16_000)
    start = time.perf_counter()
    busy = cpu = 0.0
    passes = []
    for i in range(0, len(audio), n):
        due = start + (i + n) / 16_000  # the chunk arrives when its last sample is spoken
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        t, c = time.perf_counter(), time.process_time()
        frames = streamer.push(audio[i : i + n], arrived=due)
        busy += time.perf_counter() - t
        cpu += time.process_time() - c
        if len(frames):
            passes.append(time.process_time() - c)
    streamer.flush()
    stats = streamer.stats.summary()
    return {
        "chunk_ms": CHUNK * 1000,
        "lookahead_ms": round(streamer.lookahead * 1000, 1),
        "latency_s": {k: round(v, 4) if isinstance(v, float) else v for k, v in stats.items()},
        "compute_per_audio_second": round(busy / (len(audio) / 16_000), 4),
        # CPU seconds (not wall): what an idle core would take, whatever else the machine runs
        "cpu_per_audio_second": round(cpu / (len(audio) / 16_000), 4),
        "cpu_per_pass_s": percentiles(passes),
    }


# ---- 2. capacity, over WebSocket --------------------------------------------------------------


async def realtime_ws_client(
    url: str, pcm: bytes, *, rate=16_000, vanish_after: float | None = None
):
    """Send ``pcm`` in 20 ms chunks at real-time pace; per-frame latency from the sending of
    the chunk holding the frame's audio to the frame's arrival. Returns a result dict."""
    import aiohttp

    chunk = int(CHUNK * rate) * 2
    sent: list[float] = []
    latency: list[float] = []
    result = {"protocol": "ws", "frames": 0, "outcome": None}
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            await ws.send_str(json.dumps({"rate": rate}))
            ready = json.loads((await ws.receive()).data)
            if ready.get("type") != "ready":
                await ws.receive()  # the close frame that follows a refusal carries its code
                result["outcome"] = (
                    f"refused {ws.close_code}" if ready.get("type") == "error" else "bad"
                )
                result["message"] = ready.get("message")
                return result

            async def read():
                async for msg in ws:
                    data = json.loads(msg.data)
                    now = time.perf_counter()
                    if data["type"] == "frames":
                        for t in data["times"]:
                            index = min(int(t / CHUNK + 1e-9), len(sent) - 1)
                            latency.append(now - sent[index])
                        result["frames"] += len(data["times"])
                    elif data["type"] in ("end", "error"):
                        result["outcome"] = data["type"]

            reader = asyncio.create_task(read())
            start = time.perf_counter()
            for i in range(0, len(pcm), chunk):
                due = start + (i + chunk) / 2 / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                if vanish_after is not None and due - start > vanish_after:
                    await ws.close()  # the client vanishes mid-stream
                    reader.cancel()
                    result["outcome"] = "vanished"
                    return result
                sent.append(time.perf_counter())
                await ws.send_bytes(pcm[i : i + chunk])
            await ws.send_str('{"type": "end"}')
            await asyncio.wait_for(reader, 120)
    result["latency"] = latency
    return result


async def realtime_a2f_client(
    address: str, pcm: bytes, *, rate=16_000, vanish_after: float | None = None
):
    """The same over Audio2Face-3D gRPC (100 ms chunks, as NVIDIA's sample client sends)."""
    import grpc
    from nvidia_audio2face_3d import audio2face_pb2_grpc
    from serve_clients import a2f_audio, a2f_end, a2f_header

    result = {"protocol": "grpc", "frames": 0, "outcome": None}
    step = int(0.1 * rate) * 2
    async with grpc.aio.insecure_channel(address) as channel:
        call = audio2face_pb2_grpc.A2FControllerServiceStub(channel).ProcessAudioStream()

        async def write():
            await call.write(a2f_header(rate))
            start = time.perf_counter()
            for i in range(0, len(pcm), step):
                due = start + (i + step) / 2 / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                if vanish_after is not None and due - start > vanish_after:
                    call.cancel()
                    return
                await call.write(a2f_audio(pcm[i : i + step]))
            await call.write(a2f_end())
            await call.done_writing()

        writer = asyncio.create_task(write())
        try:
            async for response in call:
                part = response.WhichOneof("stream_part")
                if part == "animation_data":
                    result["frames"] += len(
                        response.animation_data.skel_animation.blend_shape_weights
                    )
                elif part == "status":
                    result["outcome"] = "end" if response.status.code == 0 else "error"
                    result["message"] = response.status.message
        except grpc.aio.AioRpcError as error:
            code = error.code()
            if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
                result["outcome"] = "refused RESOURCE_EXHAUSTED"
            elif code == grpc.StatusCode.CANCELLED and vanish_after is not None:
                result["outcome"] = "vanished"
            else:
                result["outcome"] = f"error {code.name}"
            result["message"] = error.details()
        except asyncio.CancelledError:
            result["outcome"] = "vanished"
        await asyncio.gather(writer, return_exceptions=True)
    return result


def bench_capacity(server, audio: np.ndarray, *, max_clients: int) -> dict:
    from serve_clients import pcm16

    pcm = pcm16(audio)
    rows = []
    for n in [1, 2, 3, 4, 5, 6, 8, 10, 12, 16]:
        if n > max_clients:
            break
        before = load()

        async def run(n):
            return await asyncio.gather(*[realtime_ws_client(server.ws, pcm) for _ in range(n)])

        results = asyncio.run(run(n))
        latency = np.concatenate([r["latency"] for r in results if r.get("latency")])
        row = {
            "streams": n,
            "latency_s": percentiles(latency),
            "complete": sum(r["outcome"] == "end" for r in results),
            "load_before": before,
            "load_after": load(),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
        if row["latency_s"]["p95"] > TARGET_P95 and n >= 4:
            break
    within = [
        r["streams"]
        for r in rows
        if r["latency_s"]["p95"] <= TARGET_P95 and r["complete"] == r["streams"]
    ]
    return {
        "target_p95_s": TARGET_P95,
        "sweep": rows,
        "streams_within_target": max(within, default=0),
    }


# ---- 3. load test -----------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_load(server, audio: np.ndarray, *, rounds: int, max_streams: int) -> dict:
    from serve_clients import pcm16

    pcm = pcm16(audio)
    memory = [round(rss_mb(server.process.pid), 1)]
    outcomes: dict[str, int] = {}
    per_round = []
    for r in range(rounds):

        async def run():
            clients = []
            for i in range(max_streams // 2 + 1):  # together more than the server takes
                vanish = 1.0 if i % 3 == 2 else None
                clients.append(realtime_ws_client(server.ws, pcm, vanish_after=vanish))
                clients.append(realtime_a2f_client(server.grpc, pcm, vanish_after=vanish))
            return await asyncio.gather(*clients, return_exceptions=True)

        results = asyncio.run(run())
        counts: dict[str, int] = {}
        for res in results:
            key = (
                f"exception {type(res).__name__}"
                if isinstance(res, BaseException)
                else f"{res['protocol']} {res['outcome']}"
            )
            counts[key] = counts.get(key, 0) + 1
            outcomes[key] = outcomes.get(key, 0) + 1
        time.sleep(1.0)  # let the server release what the round held
        memory.append(round(rss_mb(server.process.pid), 1))
        per_round.append({"round": r + 1, "outcomes": counts, "rss_mb": memory[-1]})
        print(json.dumps(per_round[-1]), flush=True)
    clean = {
        "ws end",
        "grpc end",
        "ws vanished",
        "grpc vanished",
        "ws refused 1013",
        "grpc refused RESOURCE_EXHAUSTED",
    }
    return {
        "rounds": rounds,
        "clients_per_round": 2 * (max_streams // 2 + 1),
        "server_max_streams": max_streams,
        "outcomes": outcomes,
        "every_stream_answered_or_refused": set(outcomes) <= clean,
        "rss_mb": {"start": memory[0], "after_round_1": memory[1], "after_last": memory[-1]},
        "rss_growth_after_warmup_mb": round(memory[-1] - memory[1], 1),
        "per_round": per_round,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0, help="audio per stream")
    parser.add_argument("--only", choices=("latency", "capacity", "load"))
    parser.add_argument("--max-clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=30, help="load-test rounds")
    parser.add_argument("--block", type=float, default=0.1, help="seconds a pass decides")
    parser.add_argument("--ears-window", nargs=2, type=int, metavar=("LEFT", "RIGHT"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/stream.json")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    audio = speech(args.seconds)
    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    from selftalk.streaming.pipeline import StreamSettings

    window = tuple(args.ears_window) if args.ears_window else None
    settings = StreamSettings(block=args.block, ears_window=window)
    options = [
        "--block",
        str(args.block),
        *(["--ears-window", *map(str, window)] if window else []),
    ]
    results["settings"] = {"block_s": args.block, "ears_window": window}
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_at_start": load(),
    }
    if args.only in (None, "latency"):
        results["latency"] = {**bench_latency(audio, settings), "load": load()}
        print(json.dumps(results["latency"]), flush=True)
    if args.only in (None, "capacity", "load"):
        from serve_fixtures import start_server, stop_server

        if args.only in (None, "capacity"):
            server = start_server(*options, max_streams=args.max_clients)
            try:
                results["capacity"] = bench_capacity(server, audio, max_clients=args.max_clients)
            finally:
                stop_server(server)
        if args.only in (None, "load"):
            server = start_server(*options, max_streams=6)
            try:
                results["load"] = bench_load(server, speech(4.0), rounds=args.rounds, max_streams=6)
            finally:
                stop_server(server)
    results["machine"]["load_at_end"] = load()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
