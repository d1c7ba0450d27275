"""Time of ``selftalk metrics`` and ``selftalk compare`` on a BIWI-sized folder in CodeTalker's layout.

Writes, into a temporary folder, random motions at BIWI's size as CodeTalker keeps them
(``vertices_npy/``, ``templates.pkl``, ``regions/lve.txt`` with 4996 and ``fdd.txt`` with
7784 vertices, no ``meta.json`` and no split file), Test-A's 24 clips of about 4.7 s
(117 frames at 25 fps, BIWI's mean length), and two methods' predictions named
``{clip}_condition_{subject}.npy`` as CodeTalker's ``test_pred.py`` writes them. Then it
times, after one warm-up run each: ``evaluate_predictions`` under CodeTalker's definition,
under every definition, and ``compare_predictions`` of the two methods with 10000 paired
bootstrap samples (and the bootstrap alone). Prints a table and writes JSON (default
``benchmarks/results/interop.json``).

    python benchmarks/bench_interop.py [--frames 117] [--bootstrap 10000] [-o results.json]
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from selftalk.io import write_json
from selftalk.metrics.compare import compare_predictions, compare_units
from selftalk.metrics.evaluate import EvaluateOptions, evaluate_predictions

V, LIP, UPPER = 23370, 4996, 7784
SUBJECTS = ("F2", "F3", "F4", "M3", "M4", "M5")
SENTENCES = tuple(f"e{n}" for n in range(37, 41))


def make_folder(root: Path, frames: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    data = root / "BIWI"
    (data / "vertices_npy").mkdir(parents=True)
    (data / "regions").mkdir()
    templates = {s: (0.1 * rng.standard_normal((V, 3))).astype(np.float32) for s in SUBJECTS}
    with open(data / "templates.pkl", "wb") as f:
        pickle.dump(templates, f, protocol=2)
    perm = rng.permutation(V)
    (data / "regions" / "lve.txt").write_text(", ".join(map(str, np.sort(perm[:LIP]))))
    (data / "regions" / "fdd.txt").write_text(", ".join(map(str, np.sort(perm[LIP : LIP + UPPER]))))
    for method in ("A", "B"):
        (root / method).mkdir()
    for s in SUBJECTS:
        for q in SENTENCES:
            gt = templates[s] + 0.001 * rng.standard_normal((frames, V, 3), np.float32)
            np.save(data / "vertices_npy" / f"{s}_{q}.npy", gt.reshape(frames, -1))
            for method, noise in (("A", 0.002), ("B", 0.0025)):
                pred = gt + noise * rng.standard_normal(gt.shape, np.float32)
                np.save(root / method / f"{s}_{q}_condition_{s}.npy", pred.reshape(frames, -1))


def timed(fn):
    fn()  # warm-up: page cache, imports
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, round(seconds, 3), round(peak / 2**20, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=117)
    parser.add_argument("--bootstrap", type=int, default=10000)
    parser.add_argument(
        "-o", "--output", type=Path, default=Path(__file__).parent / "results" / "interop.json"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_folder(root, args.frames)
        data, a = root / "BIWI", root / "A"
        one = EvaluateOptions(split="test")
        every = EvaluateOptions(split="test", definition="all")
        report, t_one, m_one = timed(lambda: evaluate_predictions(a, data, one))
        _, t_all, m_all = timed(lambda: evaluate_predictions(a, data, every))
        _, t_cmp, m_cmp = timed(
            lambda: compare_predictions([a, root / "B"], data, one, n_boot=args.bootstrap)
        )
    units = {"A": report.definitions["codetalker"]}
    units["B"] = units["A"]
    _, t_boot, m_boot = timed(
        lambda: compare_units(
            units, reference="A", metrics=("lve", "fdd", "mve"), n_boot=args.bootstrap
        )
    )
    clips = report.vertex.n_clips
    rows = [
        ("metrics (codetalker)", t_one, m_one),
        ("metrics (all 8 definitions)", t_all, m_all),
        (f"compare 2 methods, B={args.bootstrap}", t_cmp, m_cmp),
        (f"bootstrap alone, 3 metrics, B={args.bootstrap}", t_boot, m_boot),
    ]
    print(f"BIWI-sized CodeTalker folder: {clips} clips x {args.frames} frames x {V} vertices")
    print(f"{'task':44} {'seconds':>8} {'peak MB':>8}")
    for name, seconds, peak in rows:
        print(f"{name:44} {seconds:>8} {peak:>8}")
    write_json(
        args.output,
        {
            "benchmark": "interop",
            "machine": platform.machine(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "clips": clips,
            "frames_per_clip": args.frames,
            "n_vertices": V,
            "results": [{"task": n, "seconds": s, "peak_traced_mb": m} for n, s, m in rows],
        },
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
