#!/usr/bin/env python3
"""Size and CPU forward time of the paper-size models (random weights at full size).

    python benchmarks/bench_model.py [--presets vocaset biwi] [--seconds 5]

For each preset: parameter counts (animator, of which trainable; lip reader; frozen recognizer)
and the time of one forward pass on a clip of ``--seconds``: the whole training diagram (animator,
recognizer, lip reader and the four losses, no gradient) and the animator alone (inference).
Writes ``benchmarks/results/model.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_training import make_batch, paper_size  # noqa: E402

from selftalk.models.diagram import CommutativeDiagram  # noqa: E402
from selftalk.models.recognizer import SpeechRecognizer  # noqa: E402
from selftalk.models.selftalk import SelfTalk  # noqa: E402


def count(module: torch.nn.Module, *, trainable: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable)


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench(name: str, seconds: float, repeats: int) -> dict:
    config = paper_size(name)
    torch.manual_seed(0)
    model = SelfTalk(config.model, torch.arange(config.model.n_lip_vertices)).eval()
    recognizer = SpeechRecognizer.from_config(config.recognizer)
    diagram = CommutativeDiagram(model, recognizer, config.loss).eval()
    batch = make_batch(config, 1, seconds)
    with torch.inference_mode():
        diagram_s = best_time(lambda: diagram(batch), repeats)
        animator_s = best_time(lambda: model.predict(batch.audio[0], batch.templates[0]), repeats)
    result = {
        "n_vertices": config.model.n_vertices,
        "fps": config.model.fps,
        "clip_seconds": seconds,
        "parameters": {
            "animator": count(model.animator),
            "animator_trainable": count(model.animator, trainable=True),
            "lip_reader": count(model.lip_reader),
            "recognizer": count(recognizer),
        },
        "forward_s": {"diagram": diagram_s, "animator": animator_s},
    }
    p = result["parameters"]
    print(
        f"{name}: animator {p['animator'] / 1e6:.1f} M ({p['animator_trainable'] / 1e6:.1f} M "
        f"trainable), lip reader {p['lip_reader'] / 1e6:.1f} M, recognizer "
        f"{p['recognizer'] / 1e6:.1f} M; {seconds:g} s clip: diagram forward {diagram_s:.2f} s, "
        f"animator {animator_s:.2f} s",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["vocaset", "biwi"])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/model.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "threads": args.threads,
            "torch": torch.__version__,
        },
        "presets": {name: bench(name, args.seconds, args.repeats) for name in args.presets},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
