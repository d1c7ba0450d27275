#!/usr/bin/env python3
"""Speed of the bundled model: real-time factor of the model and of ``selftalk animate``.

    python benchmarks/bench_animate.py [--seconds 60] [--out benchmarks/results/animate.json]

Measures, on 60 s of speech (the bundled example repeated):
- the model alone (windowed prediction of (T, V, 3) vertices), min over repeats;
- the whole command ``selftalk animate AUDIO -o OUT.npy`` in a fresh process (start-up,
  imports, model loading, audio decoding, prediction, writing), and its peak memory;
- the same with ``-o OUT.mp4`` (rendering and encoding included), for 10 s of speech.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]


def run_command(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of a child process."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(args, check=True, capture_output=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/animate.json")
    args = parser.parse_args()

    import torch

    from selftalk.inference.loading import load_model
    from selftalk.inference.predict import predict_motion

    example, rate = soundfile.read(ROOT / "examples/hello.wav", dtype="float32")
    assert rate == 16_000
    audio = np.tile(example, int(np.ceil(args.seconds * rate / len(example))))[
        : int(args.seconds * rate)
    ]
    loaded = load_model()
    template = loaded.template()
    predict_motion(loaded.model, audio[:rate], template)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        motion = predict_motion(loaded.model, audio, template)
        times.append(time.perf_counter() - start)
    model_s = min(times)
    print(
        f"model: {args.seconds:.0f} s of audio in {model_s:.2f} s "
        f"({args.seconds / model_s:.0f}x real time), {motion.shape}"
    )

    results = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
        },
        "audio_seconds": args.seconds,
        "model_seconds": model_s,
        "model_real_time_factor": args.seconds / model_s,
    }
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        soundfile.write(wav, audio, rate)
        exe = [sys.executable, "-m", "selftalk", "animate", str(wav)]
        walls = [run_command(exe + ["-o", str(Path(tmp) / "out.npy")]) for _ in range(args.repeats)]
        wall, peak = min(w for w, _ in walls), max(p for _, p in walls)
        print(
            f"selftalk animate -o out.npy: {wall:.2f} s for {args.seconds:.0f} s of audio "
            f"({args.seconds / wall:.0f}x real time), peak memory {peak:.0f} MB"
        )
        short = Path(tmp) / "short.wav"
        soundfile.write(short, audio[: 10 * rate], rate)
        video, _ = run_command(
            [
                sys.executable,
                "-m",
                "selftalk",
                "animate",
                str(short),
                "-o",
                str(Path(tmp) / "out.mp4"),
            ]
        )
        print(f"selftalk animate -o out.mp4 (10 s of audio, 512x512): {video:.2f} s")
    results.update(
        command_npy_seconds=wall,
        command_npy_real_time_factor=args.seconds / wall,
        command_peak_mb=peak,
        command_mp4_10s_seconds=video,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
