#!/usr/bin/env python3
"""Seconds a training epoch of the bundled recipe takes, with and without the options that
make a CPU step cheaper (`model.lip_reader.attention_dropout=0`, `train.length_buckets`, and
glibc's mmap threshold at 32 MiB, training's default, against the 128 KiB it used to fix).

    python benchmarks/bundled_training_speed.py --data data/synth --cache-dir runs/phoneme-cache \
        --clips 160 --out benchmarks/results/bundled_training_speed.json

Every variant trains one epoch (a fresh model, the same seed) over the same random sample of
``--clips`` training clips, so each computes the same clips, grouped differently. The time is
that of the training steps (the first step, which warms up, is left out), not of fitting the
motion basis or filling the recognizer cache (shared with ``--cache-dir``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np
import torch

from selftalk.config import apply_overrides, load_overrides, preset
from selftalk.data.layout import DatasetLayout
from selftalk.io import write_json
from selftalk.training.run import MMAP_THRESHOLD, set_mmap_threshold, train

BOTH = {"model": {"lip_reader": {"attention_dropout": 0.0}}, "train": {"length_buckets": True}}
OLD_THRESHOLD = 128 << 10
#: name: (config overrides, glibc mmap threshold in bytes)
VARIANTS = {
    "recipe as trained until now": ({}, OLD_THRESHOLD),
    "attention_dropout=0": ({"model": {"lip_reader": {"attention_dropout": 0.0}}}, OLD_THRESHOLD),
    "length_buckets": ({"train": {"length_buckets": True}}, OLD_THRESHOLD),
    "both": (BOTH, OLD_THRESHOLD),
    "both, MALLOC_MMAP_THRESHOLD_=32 MiB": (BOTH, MMAP_THRESHOLD),
}


def use_mmap_threshold(threshold: int) -> None:
    """glibc's mmap threshold at ``threshold`` bytes, as the environment would give it."""
    os.environ["MALLOC_MMAP_THRESHOLD_"] = str(threshold)  # training leaves it to rule
    set_mmap_threshold(threshold)


def sample_split(data: Path, clips: int, pool: int, seed: int, out: Path) -> None:
    """A copy of ``data`` (links) whose ``train`` split is a random sample of its own."""
    layout = DatasetLayout(data)
    members = layout.split("train")[0]
    names = [(s, c) for s, cs in members.items() for c in cs][: pool or None]
    chosen = np.random.default_rng(seed).choice(len(names), size=clips, replace=False)
    split: dict[str, list[str]] = {}
    for i in sorted(chosen):
        split.setdefault(names[i][0], []).append(names[i][1])
    out.mkdir(parents=True)
    for item in data.iterdir():
        if item.name != "splits.json":
            (out / item.name).symlink_to(item.resolve())
    (out / "splits.json").write_text(json.dumps({"train": split}))


def epoch_seconds(run: Path) -> tuple[float, int]:
    """Seconds of the logged training steps after the first, and how many steps they are."""
    times = [r["time"] for r in map(json.loads, (run / "metrics.jsonl").open()) if "lr" in r]
    return times[-1] - times[0], len(times) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--cache-dir", type=Path, help="the phoneme cache runs share")
    parser.add_argument("--config", default="configs/bundled.yaml")
    parser.add_argument("--clips", type=int, default=160)
    parser.add_argument("--pool", type=int, default=0, help="draw from the first N clips (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        sample_split(args.data, args.clips, args.pool, args.seed, data)
        for name, (overrides, threshold) in VARIANTS.items():
            use_mmap_threshold(threshold)
            config = apply_overrides(preset("phonemes"), load_overrides(args.config))
            config = apply_overrides(config, overrides)
            config = apply_overrides(config, {"train": {"epochs": 1, "seed": args.seed}})
            run = Path(tmp) / name.replace(" ", "_")
            train(
                config.validate(),
                data_dir=data,
                run_dir=run,
                val_split=None,
                progress=False,
                cache_dir=args.cache_dir,
            )
            seconds, steps = epoch_seconds(run)
            results[name] = {"seconds": seconds, "steps": steps, "s_per_step": seconds / steps}
            print(f"{name:36s} {seconds:7.1f} s for {steps} steps, {seconds / steps:.2f} s/step")
    base = results["recipe as trained until now"]["seconds"]
    for entry in results.values():
        entry["speedup"] = base / entry["seconds"]
    report = {
        "machine": {
            "cpu": platform.machine(),
            "threads": torch.get_num_threads(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "torch": torch.__version__,
        },
        "clips": args.clips,
        "variants": results,
    }
    write_json(args.out, report)


if __name__ == "__main__":
    main()
