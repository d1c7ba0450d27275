"""Tiny processed datasets and naive reference implementations for the metric tests.

The naive functions are written from the definitions in docs/metrics.md with plain Python
loops, independently of the vectorised code under test.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def naive_lve(pairs, lip) -> float:
    """Pooled over frames: per frame, max over lip vertices of the squared distance."""
    total, frames = 0.0, 0
    for pred, gt in pairs:
        for t in range(min(len(pred), len(gt))):
            worst = max(
                sum((float(pred[t][v][c]) - float(gt[t][v][c])) ** 2 for c in range(3)) for v in lip
            )
            total += worst
            frames += 1
    return total / frames


def naive_mve(pairs) -> float:
    total, frames = 0.0, 0
    for pred, gt in pairs:
        for t in range(min(len(pred), len(gt))):
            n_vertices = len(gt[t])
            dist = [
                math.sqrt(sum((float(pred[t][v][c]) - float(gt[t][v][c])) ** 2 for c in range(3)))
                for v in range(n_vertices)
            ]
            total += sum(dist) / n_vertices
            frames += 1
    return total / frames


def _naive_dynamics(motion, template, upper) -> float:
    """Mean over upper vertices of the population std over time of |motion - template|²."""
    stds = []
    for v in upper:
        values = [
            sum((float(frame[v][c]) - float(template[v][c])) ** 2 for c in range(3))
            for frame in motion
        ]
        mean = sum(values) / len(values)
        stds.append(math.sqrt(sum((x - mean) ** 2 for x in values) / len(values)))
    return sum(stds) / len(stds)


def naive_fdd(triples, upper) -> float:
    """Mean over clips of dynamics(gt) - dynamics(pred), pred cut to the shared length."""
    values = []
    for pred, gt, template in triples:
        n = min(len(pred), len(gt))
        values.append(
            _naive_dynamics(gt[:n], template, upper) - _naive_dynamics(pred[:n], template, upper)
        )
    return sum(values) / len(values)


def naive_lrp(pairs, lip, rho) -> float:
    readable, frames = 0, 0
    for pred, gt in pairs:
        for t in range(min(len(pred), len(gt))):
            ok = all(
                math.sqrt(sum((float(pred[t][v][c]) - float(gt[t][v][c])) ** 2 for c in range(3)))
                < rho
                for v in lip
            )
            readable += ok
            frames += 1
    return readable / frames


def naive_levenshtein(a: str, b: str) -> int:
    """Textbook dynamic programme over the full (len(a)+1) x (len(b)+1) table."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        table[i][0] = i
    for j in range(len(b) + 1):
        table[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
    return table[len(a)][len(b)]


def make_dataset(
    root: Path,
    *,
    n_vertices: int = 12,
    subjects=("SubA", "SubB"),
    sentences=("s01", "s02"),
    frames=(7, 5, 9, 1),
    fps: int = 15,
    file_fps: int = 30,
    name: str = "tiny",
    seed: int = 0,
    transcripts: dict[str, str] | None = None,
) -> dict:
    """Write a processed dataset whose test split holds every subject × sentence.

    Returns {"lip", "upper", "templates": {subject: (V, 3)}, "gt": {clip: (T, V, 3) at fps},
    "clips": [...]}; stored motions are at ``file_fps`` with the used frames at every step.
    """
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    step = file_fps // fps
    lip = np.array([1, 3, 4, 8])
    upper = np.array([0, 2, 5, 10, 11])
    templates = {s: rng.normal(size=(n_vertices, 3)).astype(np.float32) for s in subjects}
    clips, gt = [], {}
    (root / "vertices_npy").mkdir()
    for i, (subject, sentence) in enumerate((s, t) for s in subjects for t in sentences):
        clip = f"{subject}_{sentence}"
        n = frames[i % len(frames)]
        stored = templates[subject][None] + 0.1 * rng.normal(size=(n * step, n_vertices, 3)).astype(
            np.float32
        )
        np.save(root / "vertices_npy" / f"{clip}.npy", stored.reshape(n * step, -1))
        gt[clip] = stored[::step]
        clips.append(clip)
    np.savez(root / "templates.npz", **templates)
    (root / "regions").mkdir()
    (root / "regions" / "lve.txt").write_text(", ".join(map(str, lip)))
    (root / "regions" / "fdd.txt").write_text(", ".join(map(str, upper)))
    splits = {
        "train": {subjects[0]: [sentences[0]]},
        "test": {s: list(sentences) for s in subjects},
    }
    (root / "splits.json").write_text(json.dumps(splits))
    meta = {
        "format": "selftalk-dataset",
        "version": 1,
        "name": name,
        "fps": fps,
        "file_fps": file_fps,
        "n_vertices": n_vertices,
        "subjects": list(subjects),
        "clips": {c: {"transcript": t} for c, t in (transcripts or {}).items()},
    }
    (root / "meta.json").write_text(json.dumps(meta))
    return {"lip": lip, "upper": upper, "templates": templates, "gt": gt, "clips": clips}
