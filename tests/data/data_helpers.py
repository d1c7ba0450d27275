"""Helpers shared by the data tests: a CLI runner and a small processed dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from selftalk.data.layout import DatasetWriter


def run_cli(argv: list[str]) -> int:
    """Run ``selftalk`` with only the data verbs registered (other verbs live on other branches)."""
    import selftalk.cli

    saved = selftalk.cli.COMMAND_MODULES
    selftalk.cli.COMMAND_MODULES = ["selftalk.cli.prepare", "selftalk.cli.data"]
    try:
        return selftalk.cli.main(argv)
    finally:
        selftalk.cli.COMMAND_MODULES = saved


def tone(seconds: float, rate: int, frequency: float = 220.0, *, seed: int = 0) -> np.ndarray:
    """(S,) float32 sine with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate))) / rate
    return (0.4 * np.sin(2 * np.pi * frequency * t) + 0.01 * rng.standard_normal(len(t))).astype(
        np.float32
    )


#: clip → (frames at file_fps, audio rate) of :func:`build_dataset`
CLIPS = {
    ("alice", "s01"): (12, 22050),
    ("alice", "s02"): (7, 16000),
    ("bob", "s01"): (9, 44100),
}


def build_dataset(
    root: Path, *, n_vertices: int = 6, file_fps: int = 60, fps: int = 30, seed: int = 3
) -> dict:
    """A clean dataset in the processed layout.

    Returns {(subject, sentence): (audio, rate, motion)} and {"templates": {subject: (V, 3)}}.
    """
    rng = np.random.default_rng(seed)
    writer = DatasetWriter(root, name="tiny", fps=fps, file_fps=file_fps)
    templates = {
        s: rng.standard_normal((n_vertices, 3)).astype(np.float32) for s in ("alice", "bob")
    }
    written = {}
    for (subject, sentence), (frames, rate) in CLIPS.items():
        motion = templates[subject][None] + 0.1 * rng.standard_normal(
            (frames, n_vertices, 3)
        ).astype(np.float32)
        audio = tone(frames / file_fps, rate, seed=frames)
        writer.write_clip(
            subject,
            sentence,
            audio=audio,
            sample_rate=rate,
            vertices=motion,
            info={"transcript": "hi"},
        )
        written[subject, sentence] = (audio, rate, motion.astype(np.float32))
    writer.write_templates(templates)
    faces = np.array([[0, 1, 2], [2, 3, 4], [3, 4, 5]])
    writer.write_mesh(templates["alice"], faces)
    writer.write_regions(lip=[1, 2, 3], upper_face=[0, 5])
    writer.write_splits({"train": {"alice": ["s01", "s02"]}, "test": {"bob": ["s01"]}})
    writer.finish({"source": "tests"})
    written["templates"] = templates
    return written
