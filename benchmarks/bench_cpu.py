"""CPU inference options at the paper's size: cost per second of audio and error, in one run.

    python benchmarks/bench_cpu.py MODEL_DIR [--release ADAPTER.py --checkpoint X.pth]
        [--options torch,onnx,...] [--clips 1,4.67,20] [--threads 2] [--repeats 3]

MODEL_DIR is a model imported with ``selftalk import-official`` (the benchmark in the issue
uses the release's architecture at full size with random weights and a vertex head drawn
from N(0, 0.01), so the motion scale is about 1). Every option (see
:mod:`selftalk.inference.speed`) animates the same clips on the same template; its error is
the max abs vertex difference from float32 torch, divided by the motion scale (the largest
offset from the template). Times are minima over ``--repeats`` rounds, the options taking
turns within a round so that load from other users of a shared machine falls on all alike.
Options holding their own copy of the weights (ONNX Runtime sessions, int8 torch) run in
phases of their own beside plain torch (reported as "torch (phase N)"), to bound memory.

The official release is timed in the same run only if you give ``--release ADAPTER.py``: a
file of your own, outside this project (the release is CC BY-NC and nothing here contains
or builds it), defining ``load(checkpoint: str, n_vertices: int)`` that returns
``predict(samples (S,) normalised float32, template (V, 3)) → (T, V, 3)`` running the
release's own ``predict``. Its vertices are compared too.
Results go to ``benchmarks/results/cpu.json`` under ``--name`` (default: the model's preset).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from selftalk.audio import normalize
from selftalk.inference.loading import load_model
from selftalk.inference.speed import OPTIONS, make_engine
from selftalk.io import write_json

DEFAULT_OPTIONS = ",".join(o for o in OPTIONS if o not in ("onnx-none", "onnx-basic"))
SHARED = ("torch", "torch-math-attention", "torch-compile", "torch-bf16")
"""Options that run the loaded torch weights (no copy of their own)."""


def speech(seconds: float, seed: int = 0) -> np.ndarray:
    """Speech-like test audio: a voiced buzz with syllable-rate envelope and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * 16_000))) / 16_000
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    voiced = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / 16_000)) * (
        0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
    )
    return (0.2 * voiced + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


def load_release(adapter: str, checkpoint: str, n_vertices: int):
    spec = importlib.util.spec_from_file_location("release_adapter", adapter)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load(checkpoint, n_vertices)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--release", metavar="ADAPTER.py")
    parser.add_argument(
        "--checkpoint", metavar="X.pth", help="the checkpoint MODEL was imported from"
    )
    parser.add_argument("--options", default=DEFAULT_OPTIONS)
    parser.add_argument("--clips", default="1,4.67,20")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--onnx", help="an exported graph of MODEL (default: export into the cache)"
    )
    parser.add_argument("--name")
    parser.add_argument("-o", "--output", default="benchmarks/results/cpu.json")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    loaded = load_model(model_dir=args.model)
    n_vertices = loaded.model.config.n_vertices
    template = np.random.default_rng(0).normal(0, 0.1, (n_vertices, 3)).astype(np.float32)
    clips = {s: normalize(speech(float(s))) for s in args.clips.split(",")}
    options = args.options.split(",")
    # Options that share the loaded torch weights take turns in one phase with the release;
    # each option that holds its own copy of the weights gets a phase of its own (beside
    # torch again), so that memory stays bounded by two copies.
    shared = [o for o in options if o in SHARED]
    phases = [(["release"] if args.release else []) + shared]
    phases += [["torch", o] for o in options if o not in SHARED]
    setup, times, outputs = {}, {}, {}
    for phase, names in enumerate(phases):
        engines = {}
        for name in names:
            start = time.perf_counter()
            try:
                if name == "release":
                    engines[name] = load_release(args.release, args.checkpoint, n_vertices)
                else:
                    engines[name] = make_engine(
                        name, loaded, onnx_path=args.onnx, threads=args.threads
                    )
            except Exception as error:  # an option this machine cannot run is reported
                setup[name] = f"unavailable: {type(error).__name__}: {str(error).splitlines()[0]}"
                print(f"{name}: {setup[name]}", flush=True)
                continue
            setup.setdefault(name, time.perf_counter() - start)
            print(f"phase {phase}: {name} ready in {time.perf_counter() - start:.1f} s", flush=True)
        for clip, samples in clips.items():
            best = {}
            for name, engine in engines.items():  # warm-up (torch.compile compiles here)
                start = time.perf_counter()
                outputs[name, clip] = np.asarray(engine(samples, template), np.float32)
                best[name] = time.perf_counter() - start
            for _ in range(args.repeats):
                for name, engine in engines.items():
                    start = time.perf_counter()
                    engine(samples, template)
                    best[name] = min(best[name], time.perf_counter() - start)
            for name, t in best.items():
                key = name if phase == 0 or name != "torch" else f"torch (phase {phase})"
                times[key, clip] = t
                print(f"phase {phase} {clip:>5} s {key:22} {t:7.3f} s", flush=True)
        del engines
        gc.collect()

    rows = []
    for clip in clips:
        seconds = float(clip)
        reference = outputs["torch", clip]
        scale = float(np.abs(reference - template).max())
        for (key, c), t in times.items():
            if c != clip:
                continue
            name = key.split(" (")[0]
            out = outputs[name, clip]
            row = {
                "clip_seconds": seconds,
                "option": key,
                "seconds": t,
                "per_audio_second": t / seconds,
                "motion_scale": scale,
                "error_vs_torch_float32": float(np.abs(out - reference).max()) / scale
                if out.shape == reference.shape
                else None,
            }
            if ("release", clip) in times:
                row["cost_vs_release"] = t / times["release", clip]
            rows.append(row)
            print(
                f"{seconds:6.2f} s  {key:22} {t / seconds:6.3f} s/s  "
                f"error {row['error_vs_torch_float32']:.1e}"
                + (
                    f"  {row['cost_vs_release']:.2f} of the release"
                    if "cost_vs_release" in row
                    else ""
                ),
                flush=True,
            )
    output = Path(args.output)
    results = json.loads(output.read_text()) if output.is_file() else {}
    results[args.name or loaded.model.config.animator.alignment] = {
        "model": "imported official architecture, random weights, vertex head N(0, 0.01)",
        "motion_scale": "largest |vertex - template| of float32 torch, per clip",
        "threads": args.threads,
        "repeats": args.repeats,
        "torch": torch.__version__,
        "machine": f"{platform.machine()} {platform.processor()}".strip(),
        "setup_seconds": setup,
        "rows": rows,
    }
    write_json(output, results)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
