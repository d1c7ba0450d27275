"""CPU cost of a model that hears phonemes, per second of audio: the recognizer (hama, outside
any graph) and the animator through each engine, and the error of each against torch.

    python benchmarks/bench_phonetic.py (--model DIR | --run RUN [--checkpoint latest])
        [--audio a.wav,b.wav] [--long 20] [--options torch,onnx,onnx-int8] [--threads 2]

Clips: each ``--audio`` file, and the files concatenated and repeated to ``--long`` seconds.
``torch path`` is what ``selftalk predict`` runs by default (the stream machinery fed at
once: recognizer + animator); ``recognizer`` is the features alone; each option's
``animator`` is the graph over those features in windows (:mod:`selftalk.inference.
phonetic_windows`), its ``total`` the recognizer plus that. Errors: max abs vertex
difference from the torch path over the motion scale. Times are minima over ``--repeats``.
Results go to ``benchmarks/results/phonetic.json`` under ``--name``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from selftalk.audio import load_audio
from selftalk.inference.loading import load_model
from selftalk.inference.phonetic_stream import predict_phonetic
from selftalk.inference.phonetic_windows import animate_features, heard_features
from selftalk.inference.speed import make_engine
from selftalk.io import write_json


def best_time(repeats: int, fn, *args):
    out, best = None, float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - start)
    return out, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--run")
    parser.add_argument("--checkpoint", default="best")
    parser.add_argument("--audio", default="examples/hello.wav")
    parser.add_argument("--long", type=float, default=20.0)
    parser.add_argument("--options", default="torch,onnx,onnx-int8")
    parser.add_argument("--onnx", help="an exported graph of the model (default: the cache)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--name", default="phonemes")
    parser.add_argument("-o", "--output", default="benchmarks/results/phonetic.json")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    loaded = load_model(model_dir=args.model, run_dir=args.run, checkpoint=args.checkpoint)
    model = loaded.model
    template = loaded.template()
    files = [load_audio(p) for p in args.audio.split(",")]
    clips = {Path(p).name: a for p, a in zip(args.audio.split(","), files)}
    joined = np.concatenate(files)
    repeat = int(np.ceil(args.long * 16_000 / len(joined)))
    clips[f"{args.long:g} s"] = np.tile(joined, repeat)[: int(args.long * 16_000)]
    engines = {
        o: make_engine(o, loaded, onnx_path=args.onnx if o.startswith("onnx") else None)
        for o in args.options.split(",")
    }
    rows = []
    for name, audio in clips.items():
        seconds = len(audio) / 16_000
        reference, t_path = best_time(args.repeats, predict_phonetic, model, audio, template)
        features, t_ears = best_time(args.repeats, heard_features, model, audio)
        scale = float(np.abs(reference - template).max())
        row = {
            "clip": name,
            "seconds": seconds,
            "motion_scale": scale,
            "torch_path_per_second": t_path / seconds,
            "recognizer_per_second": t_ears / seconds,
            "options": {},
        }
        print(
            f"{name} ({seconds:.2f} s): torch path {t_path / seconds:.4f} s/s, "
            f"recognizer {t_ears / seconds:.4f} s/s",
            flush=True,
        )
        for option, engine in engines.items():
            animate_features(model, engine, features, template)  # warm-up
            out, t = best_time(args.repeats, animate_features, model, engine, features, template)
            error = float(np.abs(out - reference).max()) / scale
            row["options"][option] = {
                "animator_per_second": t / seconds,
                "total_per_second": (t + t_ears) / seconds,
                "error_vs_torch_path": error,
            }
            print(
                f"  {option:10} animator {t / seconds:.4f} s/s, total "
                f"{(t + t_ears) / seconds:.4f} s/s, error {error:.1e}",
                flush=True,
            )
        rows.append(row)
    output = Path(args.output)
    results = json.loads(output.read_text()) if output.is_file() else {}
    results[args.name] = {
        "threads": args.threads,
        "repeats": args.repeats,
        "load_average": os.getloadavg()[0],
        "torch": torch.__version__,
        "machine": f"{platform.machine()} {platform.processor()}".strip(),
        "rows": rows,
    }
    write_json(output, results)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
