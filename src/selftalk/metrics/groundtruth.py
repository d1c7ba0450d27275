"""Ground truth for evaluation, read from a dataset in the processed layout (docs/data-format.md).

Only what the metrics need: the clips of a split, each clip's motion at the dataset's frame
rate, its subject's template, the lip and upper-face regions and the known transcripts.
Motions are memory-mapped and loaded one clip at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from selftalk.checks import finite_array
from selftalk.data.layout import frame_step, read_templates
from selftalk.errors import InputError
from selftalk.io import load_npy, read_json
from selftalk.topology import read_indices

NOT_A_DATASET = "no such file: is this a prepared dataset?"


def subject_of(clip: str) -> str:
    """The subject of a clip named ``{subject}_{sentence}``: everything before the last ``_``."""
    return clip.rsplit("_", 1)[0]


@dataclass(frozen=True)
class EvaluationData:
    """A processed dataset opened for evaluation. ``root`` is its directory."""

    root: Path

    @cached_property
    def meta(self) -> dict[str, Any]:
        meta = read_json(self.root / "meta.json", missing=NOT_A_DATASET)
        if not isinstance(meta, dict):
            raise InputError(self.root / "meta.json", "expected a JSON object")
        return meta

    @property
    def name(self) -> str:
        return str(self.meta.get("name", self.root.name))

    @cached_property
    def frame_step(self) -> int:
        """Every how many stored frames one is used: ``file_fps / fps``."""
        fps = self.meta.get("fps", 30)
        try:
            return frame_step(float(self.meta.get("file_fps", fps)), float(fps))
        except (TypeError, ValueError) as error:
            raise InputError(self.root / "meta.json", str(error)) from None

    @property
    def fps(self) -> float:
        return float(self.meta.get("fps", 30))

    @cached_property
    def lip_indices(self) -> np.ndarray:
        return read_indices(self.root / "regions" / "lve.txt")

    @cached_property
    def upper_face_indices(self) -> np.ndarray | None:
        """Upper-face vertices, or None when the dataset has no ``regions/fdd.txt``."""
        path = self.root / "regions" / "fdd.txt"
        return read_indices(path) if path.exists() else None

    @cached_property
    def templates(self) -> dict[str, np.ndarray]:
        """Subject → (V, 3) float32 neutral face."""
        return read_templates(self.root / "templates.npz")

    def split_clips(self, split: str) -> list[str]:
        """Clip names of ``split`` from ``splits.json``, in file order."""
        path = self.root / "splits.json"
        splits = read_json(path, missing=NOT_A_DATASET)
        if not isinstance(splits, dict) or split not in splits:
            known = ", ".join(splits) if isinstance(splits, dict) else "none"
            raise InputError(path, f"has no split {split!r} (it has: {known})")
        subjects = splits[split]
        if not isinstance(subjects, dict):
            raise InputError(path, f"split {split!r} must map subjects to lists of sentences")
        return [
            f"{subject}_{sentence}"
            for subject, sentences in subjects.items()
            for sentence in sentences
        ]

    def ground_truth(self, clip: str) -> np.ndarray:
        """(T, V, 3) motion of ``clip`` at the dataset fps: every ``frame_step``-th stored frame."""
        path = self.root / "vertices_npy" / f"{clip}.npy"
        if not path.is_file():
            raise InputError(path, "ground-truth motion is missing")
        stored = load_npy(path, what="ground-truth motion", mmap=True)
        if stored.ndim != 2 or stored.shape[1] % 3 or not np.issubdtype(stored.dtype, np.number):
            raise InputError(path, f"expected (frames, V*3) numbers, got shape {stored.shape}")
        frames = np.ascontiguousarray(stored[:: self.frame_step])
        finite_array(frames, path, "the ground-truth vertex positions")
        return frames.reshape(len(frames), -1, 3)

    def template(self, clip: str) -> np.ndarray:
        subject = subject_of(clip)
        if subject not in self.templates:
            raise InputError(
                self.root / "templates.npz", f"has no template for subject {subject!r}"
            )
        return self.templates[subject]

    def transcript(self, clip: str) -> str | None:
        """The clip's known text from ``meta.json`` (``clips.{clip}.transcript``), if any."""
        clips = self.meta.get("clips") or {}
        entry = clips.get(clip) if isinstance(clips, dict) else None
        text = entry.get("transcript") if isinstance(entry, dict) else None
        return text if isinstance(text, str) else None
