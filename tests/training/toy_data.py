"""A toy talking-face dataset in the processed layout: lips open with the loudness of the audio.

Small enough to train on in seconds; the motion is a function of the audio, so a model
trained on it must get better than the template.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from selftalk.data.layout import DatasetWriter

N_VERTICES, LIPS = 64, np.arange(0, 16, 2)
UPPER = np.arange(40, 56)
RATE = 16_000


def grid_mesh(n: int = N_VERTICES) -> tuple[np.ndarray, np.ndarray]:
    side = int(np.sqrt(n))
    ys, xs = np.divmod(np.arange(n), side)
    vertices = np.stack([xs, ys, np.zeros(n)], 1).astype(np.float32) * 0.01
    faces = [
        (r * side + c, r * side + c + 1, (r + 1) * side + c)
        for r in range(side - 1)
        for c in range(side - 1)
    ]
    return vertices, np.asarray(faces)


def toy_clip(rng: np.random.Generator, seconds: float, fps: float):
    """Audio (S,) and motion offsets (T, V, 3) at ``fps`` driven by the audio's envelope."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    bursts = rng.uniform(0, seconds, 4)
    envelope = sum(np.exp(-((t - b) ** 2) / 0.005) for b in bursts)
    audio = (
        envelope * np.sin(2 * np.pi * rng.uniform(150, 300) * t) + 0.01 * rng.standard_normal(n)
    ).astype(np.float32)
    frames = int(seconds * fps)
    frame_env = np.interp(np.arange(frames) / fps, t, envelope)
    offsets = np.zeros((frames, N_VERTICES, 3), np.float32)
    offsets[:, LIPS, 1] = -0.004 * frame_env[:, None]
    offsets[:, UPPER, 2] = 0.001 * np.sin(np.arange(frames) / fps * 3)[:, None]
    return audio, offsets


def make_toy_dataset(
    root: str | Path,
    *,
    subjects: int = 3,
    sentences: int = 4,
    fps: float = 30.0,
    file_fps: float = 60.0,
    seed: int = 0,
) -> Path:
    rng = np.random.default_rng(seed)
    root = Path(root)
    writer = DatasetWriter(root, name="toy", fps=fps, file_fps=file_fps)
    mesh, faces = grid_mesh()
    templates = {}
    step = int(file_fps // fps)
    for s in range(subjects):
        subject = f"toy{s}"
        templates[subject] = mesh + rng.normal(0, 0.001, mesh.shape).astype(np.float32)
        for k in range(sentences):
            audio, offsets = toy_clip(rng, rng.uniform(0.6, 1.1), file_fps)
            motion = (templates[subject] + offsets).reshape(len(offsets), -1)
            words = " ".join(rng.choice(["BA", "MO", "PI", "FU"], size=3))
            writer.write_clip(
                subject,
                f"s{k:02d}",
                audio=audio,
                sample_rate=RATE,
                vertices=motion,
                info={"transcript": words},
            )
    writer.write_templates(templates)
    writer.write_mesh(mesh, faces)
    writer.write_regions(lip=LIPS, upper_face=UPPER)
    names = [f"toy{s}" for s in range(subjects)]
    writer.write_splits(
        {
            "train": {n: [f"s{k:02d}" for k in range(sentences - 1)] for n in names},
            "val": {n: [f"s{sentences - 1:02d}"] for n in names[: max(1, subjects - 1)][:2]},
            "test": {names[-1]: [f"s{sentences - 1:02d}"]},
        }
    )
    writer.finish()
    assert step >= 1
    return root
