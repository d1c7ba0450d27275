"""Ground truth for evaluation, read from a dataset in any layout the project reads.

Only what the metrics need: the clips of a split, each clip's motion at the dataset's frame
rate, its subject's template, the lip and upper-face regions and the known transcripts.
The dataset is opened with :func:`selftalk.data.layouts.open_dataset`, so a prepared
dataset and a folder in FaceFormer's, CodeTalker's, SelfTalk's or UniTalker's layout are
read alike (every file is found and read by the layout). Motions are memory-mapped and
loaded one clip at a time.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from selftalk.data.layout import DatasetLayout, split_clip_name
from selftalk.data.regions import Regions
from selftalk.errors import InputError


class EvaluationData:
    """A dataset opened for evaluation.

    Args:
        root: the dataset folder.
        split_file: named splits used instead of the dataset's own (JSON).
        regions: which lip / upper-face regions to use (:func:`selftalk.data.regions.resolve_regions`).
    """

    def __init__(
        self, root: str | Path, *, split_file: str | Path | None = None, regions: str = "auto"
    ):
        from selftalk.data.layouts import open_dataset

        self.root = Path(root)
        self.layout: DatasetLayout = open_dataset(self.root, split_file=split_file)
        self.regions_spec = regions
        self.notes: list[str] = []
        self.split_names: dict[str, str] = {}

    @property
    def name(self) -> str:
        return self.layout.meta.name or self.root.name

    @cached_property
    def frame_step(self) -> int:
        """Every how many stored frames one is used: ``file_fps / fps``."""
        return self.layout.meta.frame_step

    @property
    def fps(self) -> float:
        return float(self.layout.meta.fps)

    @cached_property
    def regions(self) -> Regions:
        return self.layout.regions(self.regions_spec)

    @property
    def lip_indices(self) -> np.ndarray:
        return self.regions.lip

    @property
    def upper_face_indices(self) -> np.ndarray | None:
        """Upper-face vertices, or None when the regions have none (then no FDD)."""
        return self.regions.upper

    @cached_property
    def templates(self) -> dict[str, np.ndarray]:
        """Subject → (V, 3) float32 neutral face."""
        return self.layout.templates()

    def subject_of(self, clip: str) -> str:
        return self.layout.subject_of(clip)

    def split_clips(self, split: str) -> list[str]:
        """Clip names of ``split``, in file order; a followed alias (BIWI's ``test`` is
        ``test-a``) is noted in :attr:`notes` and :attr:`split_names`."""
        from selftalk.data.splits import SPLIT_ALIASES

        members, note = self.layout.split(split)
        if note:
            self.split_names[split] = SPLIT_ALIASES[self.name.lower()][split]
            if note not in self.notes:
                self.notes.append(note)
        return [
            f"{subject}_{sentence}"
            for subject, sentences in members.items()
            for sentence in sentences
        ]

    def ground_truth(self, clip: str) -> np.ndarray:
        """(T, V, 3) motion of ``clip`` at the dataset fps: every ``frame_step``-th stored frame."""
        try:
            self.layout.vertices_path(clip)
        except InputError as error:
            raise InputError(error.path, "ground-truth motion is missing") from None
        return self.layout.motion(clip)

    def template(self, clip: str) -> np.ndarray:
        subject = self.subject_of(clip)
        if subject not in self.templates:
            raise InputError(self.layout.templates_path, f"has no template for subject {subject!r}")
        return self.templates[subject]

    def transcript(self, clip: str) -> str | None:
        """The clip's known text from ``meta.json`` (``clips.{clip}.transcript``), if any."""
        entry = self.layout.meta.clips.get(clip)
        text = entry.get("transcript") if isinstance(entry, dict) else None
        return text if isinstance(text, str) else None


def subject_of(clip: str) -> str:
    """The subject of a clip named ``{subject}_{sentence}``: everything before the last ``_``."""
    return split_clip_name(clip)[0]
