"""Time and memory of ``selftalk metrics`` at VOCASET and BIWI sizes, on random data.

Writes a processed dataset of random motions at the real vertex counts, region sizes and
frame rates into a temporary folder, predictions beside it, then times
``evaluate_predictions`` (reading included) and records the peak memory numpy allocated
(tracemalloc). Prints a table and writes JSON (default ``benchmarks/results/metrics.json``).

    python benchmarks/bench_metrics.py [--clips 10] [--frames 150] [-o results.json]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from selftalk.data.layout import DatasetWriter
from selftalk.io import write_json
from selftalk.metrics.evaluate import EvaluateOptions, evaluate_predictions

# name: (vertices, lip vertices, upper-face vertices, fps, file_fps, scale)
SIZES = {
    "vocaset": (5023, 254, 1200, 30, 60, "vocaset"),
    "biwi": (23370, 4996, 6000, 25, 25, "biwi"),
}


def make_data(root: Path, size: str, clips: int, frames: int, seed: int = 0) -> None:
    n_vertices, n_lip, n_upper, fps, file_fps, _ = SIZES[size]
    rng = np.random.default_rng(seed)
    step = file_fps // fps
    data, pred = root / "data", root / "pred"
    pred.mkdir(parents=True)
    writer = DatasetWriter(data, name=size, fps=fps, file_fps=file_fps)
    template = rng.normal(size=(n_vertices, 3)).astype(np.float32) * 0.1
    sentences = [f"{i:03d}" for i in range(clips)]
    for sentence in sentences:
        stored = template + 0.001 * rng.standard_normal((frames * step, n_vertices, 3), np.float32)
        writer.write_vertices("S", sentence, stored)
        gt = stored[::step]
        np.save(pred / f"S_{sentence}.npy", gt + 0.002 * rng.standard_normal(gt.shape, np.float32))
    writer.write_templates({"S": template})
    perm = rng.permutation(n_vertices)
    writer.write_regions(
        lip=np.sort(perm[:n_lip]), upper_face=np.sort(perm[n_lip : n_lip + n_upper])
    )
    writer.write_splits({"test": {"S": sentences}})
    writer.finish()


def bench(size: str, clips: int, frames: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_data(root, size, clips, frames)
        options = EvaluateOptions(scale=SIZES[size][5])
        evaluate_predictions(root / "pred", root / "data", options)  # warm the page cache
        tracemalloc.start()
        start = time.perf_counter()
        report = evaluate_predictions(root / "pred", root / "data", options)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    n_vertices = SIZES[size][0]
    clip_bytes = frames * n_vertices * 3 * 4
    return {
        "size": size,
        "n_vertices": n_vertices,
        "clips": clips,
        "frames_per_clip": frames,
        "seconds": round(seconds, 4),
        "ms_per_clip": round(1000 * seconds / clips, 2),
        "frames_per_second": round(report.vertex.n_frames / seconds),
        "peak_traced_mb": round(peak / 2**20, 1),
        "one_clip_float32_mb": round(clip_bytes / 2**20, 1),
        "all_clips_float32_mb": round(clips * clip_bytes / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--frames", type=int, default=150, help="frames a clip at the dataset fps")
    parser.add_argument(
        "-o", "--output", type=Path, default=Path(__file__).parent / "results" / "metrics.json"
    )
    args = parser.parse_args()
    results = [bench(size, args.clips, args.frames) for size in SIZES]
    print(
        f"{'size':8} {'V':>6} {'clips':>5} {'ms/clip':>8} {'frames/s':>9} "
        f"{'peak MB':>8} {'clip MB':>8} {'all MB':>7}"
    )
    for r in results:
        print(
            f"{r['size']:8} {r['n_vertices']:>6} {r['clips']:>5} {r['ms_per_clip']:>8} "
            f"{r['frames_per_second']:>9} {r['peak_traced_mb']:>8} {r['one_clip_float32_mb']:>8} "
            f"{r['all_clips_float32_mb']:>7}"
        )
    write_json(
        args.output,
        {
            "benchmark": "metrics",
            "machine": platform.machine(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "results": results,
        },
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
