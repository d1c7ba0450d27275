"""The layout of FaceFormer, CodeTalker, SelfTalk_release, DiffSpeaker and FaceDiffuser, read as it is.

Those repositories keep a dataset as one folder (``vocaset/``, ``BIWI/``)::

    wav/{subject}_{sentence}.wav
    vertices_npy/{subject}_{sentence}.npy      (T, V*3); VOCASET at 60 fps, BIWI at 25 fps
    templates.pkl                              {subject: (V, 3)}
    [regions/lve.txt, regions/fdd.txt]         CodeTalker's BIWI regions
    [BIWI_lip.pkl | FLAME_masks.pkl]           SelfTalk_release's lip masks
    [BIWI.ply | FLAME_sample.ply | templates/*.ply]

with no split file and no metadata: the loaders (FaceFormer ``data_loader.py``) know the
dataset by name, take every 2nd VOCASET frame, and split by subject lists and sentence
ranges. Here the dataset is recognised by its clip names (:mod:`.known`) and given its
official splits, restricted to the clips present; a split file replaces them.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from selftalk.data.layout import (
    LEGACY_TEMPLATES_FILE,
    MESH_FILE,
    VERTICES_DIR,
    DatasetMeta,
    read_templates,
    split_clip_name,
)
from selftalk.data.layouts.base import ForeignLayout
from selftalk.data.layouts.known import KnownDataset, recognise
from selftalk.data.splits import read_splits, restrict_splits
from selftalk.errors import InputError

#: Frame rate assumed for a dataset that is neither VOCASET nor BIWI (every frame used).
DEFAULT_FPS = 30.0
#: Topology files looked for when the dataset is not recognised.
MESH_CANDIDATES = (MESH_FILE, f"templates/{MESH_FILE}", "BIWI.ply", "FLAME_sample.ply")


class FaceFormerLayout(ForeignLayout):
    """A dataset folder in FaceFormer's layout (and its descendants'), nothing prepared."""

    layout_name = "faceformer"

    @staticmethod
    def detect(root: Path) -> bool:
        """``vertices_npy/`` beside a ``templates.pkl``."""
        return (root / VERTICES_DIR).is_dir() and (root / LEGACY_TEMPLATES_FILE).is_file()

    @cached_property
    def known(self) -> KnownDataset | None:
        """VOCASET or BIWI when every clip name is one of theirs."""
        pairs = []
        for name in set(self.vertex_files()) | set(self.audio_files()):
            try:
                pairs.append(split_clip_name(name))
            except ValueError:
                return None
        return recognise(pairs)

    @cached_property
    def meta(self) -> DatasetMeta:
        known = self.known
        names = set(self.vertex_files()) | set(self.audio_files())
        subjects = sorted({n.rpartition("_")[0] for n in names if "_" in n})
        fps = known.fps if known else DEFAULT_FPS
        return DatasetMeta(
            name=known.name if known else self.root.name,
            fps=fps,
            file_fps=known.file_fps if known else fps,
            n_vertices=self._vertex_count(),
            subjects=subjects,
            extra={"layout": self.layout_name},
        )

    @property
    def templates_path(self) -> Path:
        return self.root / LEGACY_TEMPLATES_FILE

    @property
    def mesh_path(self) -> Path:
        """The first topology file present (``BIWI.ply``, ``FLAME_sample.ply``…)."""
        candidates = (self.known.meshes if self.known else ()) + MESH_CANDIDATES
        for name in candidates:
            if (self.root / name).is_file():
                return self.root / name
        return self.root / candidates[0]

    def splits(self) -> dict[str, dict[str, list[str]]]:
        """The split file's splits, else the official ones restricted to the clips with motion."""
        if self.split_file is not None:
            return read_splits(self.split_file)
        if self.splits_path.is_file():
            return read_splits(self.splits_path)
        if self.known is None:
            return {}
        return restrict_splits(self.known.splits(), self.vertex_files())

    def _vertex_count(self) -> int:
        for path in self.vertex_files().values():
            try:
                array = np.load(path, mmap_mode="r", allow_pickle=False)
            except Exception:  # an unreadable file is reported where it is read
                continue
            if array.ndim == 2 and array.shape[1] % 3 == 0 and array.shape[1]:
                return array.shape[1] // 3
            if array.ndim == 3 and array.shape[2] == 3:
                return array.shape[1]
        templates = read_templates(self.templates_path)
        if not templates:
            raise InputError(self.templates_path, "holds no template")
        return len(next(iter(templates.values())))
