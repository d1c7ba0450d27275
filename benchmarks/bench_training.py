#!/usr/bin/env python3
"""Training step time (batch 1 and a larger batch, with and without the recognizer cache) and
inference time per second of audio, at the `tiny` size and at a paper size (random weights).

    python benchmarks/bench_training.py --sizes tiny vocaset --out benchmarks/results/training.json

A "step" is forward + backward + Adam update of the whole diagram on clips of ``--seconds``
of audio. "cached" reads the recognizer's outputs from a warm disk cache instead of running it.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from selftalk.config import preset
from selftalk.data.batch import Batch
from selftalk.models.diagram import CommutativeDiagram
from selftalk.models.recognizer import SpeechRecognizer
from selftalk.models.selftalk import SelfTalk
from selftalk.training.recognizer_cache import RecognizerCache


def paper_size(name: str):
    """A preset with its pretrained encoders replaced by the same architecture at random."""
    from selftalk.config import xlsr53_large

    config = preset(name)
    config.model.animator.encoder = xlsr53_large(pretrained=None)
    config.recognizer = xlsr53_large(pretrained=None)
    return config


def make_batch(config, batch_size: int, seconds: float) -> Batch:
    samples, frames = int(16_000 * seconds), int(config.model.fps * seconds)
    v = config.model.n_vertices
    return Batch(
        names=[f"s_{i}" for i in range(batch_size)],
        subjects=["s"] * batch_size,
        audio=torch.randn(batch_size, samples),
        audio_lengths=torch.full((batch_size,), samples),
        vertices=torch.randn(batch_size, frames, v, 3) * 0.01,
        frame_lengths=torch.full((batch_size,), frames),
        templates=torch.zeros(batch_size, v, 3),
    )


def time_steps(diagram, optimizer, batch, cache, repeats: int) -> float:
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        recognized = cache.batch(batch) if cache is not None else None
        out = diagram(batch, recognized)
        out.loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if i:  # the first step warms up allocators and caches
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_size(name: str, seconds: float, batches: list[int], repeats: int) -> dict:
    config = preset("tiny") if name == "tiny" else paper_size(name)
    torch.manual_seed(0)
    model = SelfTalk(config.model, torch.arange(config.model.n_lip_vertices))
    recognizer = SpeechRecognizer.from_config(config.recognizer)
    diagram = CommutativeDiagram(model, recognizer, config.loss).train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    result = {
        "parameters_trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "parameters_recognizer": sum(p.numel() for p in recognizer.parameters()),
        "clip_seconds": seconds,
        "steps": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        cache = RecognizerCache(tmp, recognizer)
        for size in batches:
            batch = make_batch(config, size, seconds)
            cache.fill([batch.audio[i] for i in range(size)], progress=False)
            direct = time_steps(diagram, optimizer, batch, None, repeats)
            cached = time_steps(diagram, optimizer, batch, cache, repeats)
            result["steps"][f"batch{size}"] = {
                "direct_s": direct,
                "cached_s": cached,
                "speedup": direct / cached,
            }
            print(
                f"{name} batch {size}: {direct:.3f} s/step direct, {cached:.3f} s/step cached "
                f"({direct / cached:.2f}x)",
                flush=True,
            )
    model.eval()
    audio, template = torch.randn(int(16_000 * 10)), torch.zeros(config.model.n_vertices, 3)
    model.predict(audio[:16_000], template)
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(audio, template)
        runs.append(time.perf_counter() - start)
    result["inference_s_per_audio_s"] = min(runs) / 10
    print(
        f"{name} inference: {result['inference_s_per_audio_s'] * 1000:.1f} ms per second of "
        f"audio (animator only, 10 s clip)",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["tiny", "vocaset"])
    parser.add_argument("--seconds", type=float, default=4.0, help="clip length (4 s ≈ VOCASET)")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/training.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "threads": args.threads,
            "torch": torch.__version__,
        },
        "sizes": {
            name: bench_size(name, args.seconds, args.batches, args.repeats) for name in args.sizes
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
