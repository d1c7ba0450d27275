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

The official release is timed in the same run only if you give ``--release ADAPTER.py``: a
file of your own, outside this project (the release is CC BY-NC and nothing here contains
or builds it), defining ``load(checkpoint: str, n_vertices: int)`` that returns
``predict(samples (S,) normalised float32, template (V, 3)) → (T, V, 3)`` running the
release's own ``predict``. Its vertices are compared too.
Results go to ``benchmarks/results/cpu.json`` under ``--name`` (default: the model's preset).
"""

from __future__ import annotations

import argparse
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

DEFAULT_OPTIONS = ",".join(o for o in OPTIONS if o != "onnx-none")


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
    engines, setup = {}, {}
    if args.release:
        start = time.perf_counter()
        engines["release"] = load_release(args.release, args.checkpoint, n_vertices)
        setup["release"] = time.perf_counter() - start
    for option in args.options.split(","):
        start = time.perf_counter()
        try:
            engines[option] = make_engine(option, loaded, onnx_path=args.onnx, threads=args.threads)
        except Exception as error:  # an option this machine cannot run is reported, not fatal
            print(f"{option}: unavailable ({type(error).__name__}: {str(error).splitlines()[0]})")
            setup[option] = f"unavailable: {str(error).splitlines()[0]}"
            continue
        setup[option] = time.perf_counter() - start
        print(f"{option}: ready in {setup[option]:.1f} s", flush=True)

    rows = []
    for seconds in (float(s) for s in args.clips.split(",")):
        samples = normalize(speech(seconds))
        times = {name: float("inf") for name in engines}
        outputs = {}
        for name, engine in engines.items():  # warm-up (torch.compile compiles here)
            start = time.perf_counter()
            outputs[name] = np.asarray(engine(samples, template), np.float32)
            times[name] = time.perf_counter() - start
        for _ in range(args.repeats):
            for name, engine in engines.items():
                start = time.perf_counter()
                engine(samples, template)
                times[name] = min(times[name], time.perf_counter() - start)
        reference = outputs["torch"] if "torch" in outputs else next(iter(outputs.values()))
        scale = float(np.abs(reference - template).max())
        for name in engines:
            out = outputs[name]
            error = (
                float(np.abs(out - reference).max()) / scale
                if out.shape == reference.shape
                else None
            )
            row = {
                "clip_seconds": seconds,
                "option": name,
                "seconds": times[name],
                "per_audio_second": times[name] / seconds,
                "error_vs_torch_float32": error,
            }
            if "release" in times:
                row["cost_vs_release"] = times[name] / times["release"]
            rows.append(row)
            print(
                f"{seconds:6.2f} s  {name:22} {times[name]:7.3f} s  "
                f"{times[name] / seconds:6.3f} s/s  error {error if error is None else f'{error:.1e}'}"
                + (f"  {row['cost_vs_release']:.2f} of the release" if "release" in times else ""),
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
