"""Datasets in any layout of the field, behind the interface of :class:`~selftalk.data.layout.DatasetLayout`.

:func:`open_dataset` recognises a folder and returns the reader that presents it:

- ``meta.json``: a prepared dataset (:class:`~selftalk.data.layout.DatasetLayout`);
- ``train.json``/``val.json``/``test.json`` with ``id_template.npy``: UniTalker
  (:class:`~selftalk.data.layouts.unitalker.UniTalkerLayout`);
- ``vertices_npy/`` with ``templates.pkl``: FaceFormer, CodeTalker, SelfTalk_release,
  DiffSpeaker, FaceDiffuser (:class:`~selftalk.data.layouts.faceformer.FaceFormerLayout`).

A new layout is a subclass of :class:`~selftalk.data.layouts.base.ForeignLayout` (itself a
``DatasetLayout``) with a ``detect(root)`` static method, added to :data:`LAYOUTS`.
"""

from __future__ import annotations

from pathlib import Path

from selftalk.data.layout import META_FILE, DatasetLayout
from selftalk.data.layouts.base import ForeignLayout
from selftalk.data.layouts.faceformer import FaceFormerLayout
from selftalk.data.layouts.unitalker import UniTalkerLayout

#: Foreign layouts, tried in order when a folder has no ``meta.json``.
LAYOUTS: tuple[type[ForeignLayout], ...] = (UniTalkerLayout, FaceFormerLayout)


def open_dataset(root: str | Path, *, split_file: str | Path | None = None) -> DatasetLayout:
    """The reader of the dataset folder ``root``, whatever its layout.

    A folder that is none of the known layouts opens as a prepared dataset, whose missing
    ``meta.json`` then raises a one-line :class:`~selftalk.errors.InputError`.
    """
    root = Path(root)
    if root.is_dir() and not (root / META_FILE).is_file():
        for layout in LAYOUTS:
            if layout.detect(root):
                return layout(root, split_file=split_file)
    return DatasetLayout(root, split_file=split_file)


__all__ = ["LAYOUTS", "FaceFormerLayout", "ForeignLayout", "UniTalkerLayout", "open_dataset"]
