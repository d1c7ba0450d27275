"""VOCASET and BIWI recognised by their subject and sentence names, with the facts the field uses.

A folder in another repository's layout carries no ``meta.json``: what it holds is told by
its clip names (``FaceTalk_170728_03272_TA_sentence01``, ``F2_e01``). Each known dataset
brings the frame rates its loaders use and its official splits (:mod:`selftalk.data.splits`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from selftalk.data.layout import MESH_FILE
from selftalk.data.splits import (
    BIWI_TRAIN_SUBJECTS,
    BIWI_UNSEEN_SUBJECTS,
    VOCASET_TEST_SUBJECTS,
    VOCASET_TRAIN_SUBJECTS,
    VOCASET_VAL_SUBJECTS,
    Splits,
    biwi_splits,
    vocaset_splits,
)


@dataclass(frozen=True)
class KnownDataset:
    """A dataset recognised by name.

    Attributes:
        name: ``vocaset`` or ``biwi``.
        fps: frame rate models use.
        file_fps: frame rate of its ``vertices_npy`` files (VOCASET: 60, every 2nd frame used).
        subjects: every subject of the release.
        sentence: pattern of its sentence names.
        splits: its official splits.
        meshes: file names its repositories keep the topology in, most common first.
    """

    name: str
    fps: float
    file_fps: float
    subjects: frozenset[str]
    sentence: re.Pattern
    splits: Callable[[], Splits]
    meshes: tuple[str, ...]

    def matches(self, subject: str, sentence: str) -> bool:
        return subject in self.subjects and bool(self.sentence.fullmatch(sentence))


VOCASET = KnownDataset(
    name="vocaset",
    fps=30,
    file_fps=60,
    subjects=frozenset(VOCASET_TRAIN_SUBJECTS + VOCASET_VAL_SUBJECTS + VOCASET_TEST_SUBJECTS),
    sentence=re.compile(r"sentence\d\d"),
    splits=vocaset_splits,
    meshes=("FLAME_sample.ply", "templates/FLAME_sample.ply", MESH_FILE),
)
BIWI = KnownDataset(
    name="biwi",
    fps=25,
    file_fps=25,
    subjects=frozenset(BIWI_TRAIN_SUBJECTS + BIWI_UNSEEN_SUBJECTS),
    sentence=re.compile(r"e\d\d"),
    splits=biwi_splits,
    meshes=("BIWI.ply", "templates/BIWI.ply", MESH_FILE),
)
KNOWN_DATASETS = (VOCASET, BIWI)


def recognise(clips: Iterable[tuple[str, str]]) -> KnownDataset | None:
    """The known dataset every (subject, sentence) belongs to, or None (also for no clips)."""
    clips = list(clips)
    if not clips:
        return None
    for known in KNOWN_DATASETS:
        if all(known.matches(subject, sentence) for subject, sentence in clips):
            return known
    return None


def known_dataset(name: str) -> KnownDataset | None:
    """The known dataset called ``name`` (case-insensitive), or None."""
    return next((k for k in KNOWN_DATASETS if k.name == name.lower()), None)
