"""Ground truth for evaluation, read from a dataset in the processed layout (docs/data-format.md).

Only what the metrics need: the clips of a split, each clip's motion at the dataset's frame
rate, its subject's template, the lip and upper-face regions and the known transcripts.
Motions are memory-mapped and loaded one clip at a time. Every file is found and read by
:class:`selftalk.data.layout.DatasetLayout`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from selftalk.data.layout import DatasetLayout, DatasetMeta, split_clip_name
from selftalk.errors import InputError


def subject_of(clip: str) -> str:
    """The subject of a clip named ``{subject}_{sentence}``: everything before the last ``_``."""
    return split_clip_name(clip)[0]


@dataclass(frozen=True)
class EvaluationData:
    """A processed dataset opened for evaluation. ``root`` is its directory."""

    root: Path

    @cached_property
    def layout(self) -> DatasetLayout:
        return DatasetLayout(self.root)

    @property
    def meta(self) -> DatasetMeta:
        return self.layout.meta

    @property
    def name(self) -> str:
        return self.meta.name or self.layout.root.name

    @property
    def frame_step(self) -> int:
        """Every how many stored frames one is used: ``file_fps / fps``."""
        return self.meta.frame_step

    @property
    def fps(self) -> float:
        return float(self.meta.fps)

    @cached_property
    def lip_indices(self) -> np.ndarray:
        return self.layout.lip_indices()

    @cached_property
    def upper_face_indices(self) -> np.ndarray | None:
        """Upper-face vertices, or None when the dataset has no ``regions/fdd.txt``."""
        return self.layout.upper_face_indices()

    @cached_property
    def templates(self) -> dict[str, np.ndarray]:
        """Subject → (V, 3) float32 neutral face."""
        return self.layout.templates()

    def split_clips(self, split: str) -> list[str]:
        """Clip names of ``split`` from ``splits.json``, in file order."""
        path = self.layout.splits_path
        if not path.exists():
            raise InputError(path, "no such file: is this a prepared dataset?")
        splits = self.layout.splits()
        if split not in splits:
            raise InputError(
                path, f"has no split {split!r} (it has: {', '.join(splits) or 'none'})"
            )
        return [
            f"{subject}_{sentence}"
            for subject, sentences in splits[split].items()
            for sentence in sentences
        ]

    def ground_truth(self, clip: str) -> np.ndarray:
        """(T, V, 3) motion of ``clip`` at the dataset fps: every ``frame_step``-th stored frame."""
        path = self.layout.vertices_dir / f"{clip}.npy"
        if not path.is_file():
            raise InputError(path, "ground-truth motion is missing")
        return self.layout.motion(clip)

    def template(self, clip: str) -> np.ndarray:
        subject = subject_of(clip)
        if subject not in self.templates:
            raise InputError(self.layout.templates_path, f"has no template for subject {subject!r}")
        return self.templates[subject]

    def transcript(self, clip: str) -> str | None:
        """The clip's known text from ``meta.json`` (``clips.{clip}.transcript``), if any."""
        text = self.meta.clips.get(clip, {}).get("transcript")
        return text if isinstance(text, str) else None
