"""Rigging quality and time on meshes whose blendshapes are known (``selftalk.rig.evaluate``):
bundled-head identities remeshed (subdivided, decimated), rescaled x10, rotated and moved,
rigged with automatic alignment (no landmarks) and with landmarks. Residuals in mm after
undoing the similarity, per blendshape and overall. Prints a table and writes JSON.

    python benchmarks/bench_rig.py [--seeds 0 1 2] [--out benchmarks/results/rig.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import numpy as np

from selftalk.arkit import ALPHABETICAL
from selftalk.rig import rig_mesh
from selftalk.rig.evaluate import make_case, residuals_mm

REMESHES = {  # name: (subdivide, keep)
    "subdivided (18k vertices)": (True, 1.0),
    "subdivided + decimated to 30% (5.4k)": (True, 0.3),
    "decimated to 40% (1.8k)": (False, 0.4),
}


def summary(err: np.ndarray) -> dict:
    return {
        "mean_mm": float(err.mean()),
        "p99_mm": float(np.percentile(err, 99)),
        "max_mm": float(err.max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--qualities", nargs="+", default=["full", "fast"])
    parser.add_argument("--out", default="benchmarks/results/rig.json")
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        for remesh, (subdivide, keep) in REMESHES.items():
            rotation = tuple(np.random.default_rng(seed).uniform(-60, 60, 3).round(1))
            case = make_case(seed=seed, subdivide=subdivide, keep=keep, rotation_deg=rotation)
            for quality in args.qualities:
                for landmarks in (False, True):
                    rig = rig_mesh(
                        case.vertices,
                        case.faces,
                        quality=quality,
                        landmarks=case.landmarks if landmarks else None,
                    )
                    err = residuals_mm(rig.deltas, case)
                    row = {
                        "identity_seed": seed,
                        "remesh": remesh,
                        "vertices": len(case.vertices),
                        "rotation_deg": [float(x) for x in rotation],
                        "quality": quality,
                        "landmarks": landmarks,
                        "seconds": rig.seconds,
                        "scale_error": abs(rig.similarity.scale * case.pose.scale - 1.0),
                        "fit_rms_mm": rig.fit_rms * 1000,
                        **summary(err),
                        "per_blendshape_mean_mm": dict(zip(ALPHABETICAL, map(float, err.mean(1)))),
                        "per_blendshape_max_mm": dict(zip(ALPHABETICAL, map(float, err.max(1)))),
                        "largest_true_displacement_mm": float(
                            np.linalg.norm(case.truth, axis=-1).max() * 1000
                        ),
                    }
                    rows.append(row)
                    print(
                        f"seed {seed} {remesh:38} {quality:4} landmarks={landmarks!s:5} "
                        f"{row['seconds']:5.1f} s  mean {row['mean_mm']:.3f} mm  "
                        f"p99 {row['p99_mm']:.3f} mm  max {row['max_mm']:.2f} mm  "
                        f"fit {row['fit_rms_mm']:.2f} mm"
                    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "rig",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
        "rows": rows,
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
