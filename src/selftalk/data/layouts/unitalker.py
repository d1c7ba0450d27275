"""UniTalker's dataset layout (X-niper/UniTalker ``dataset/dataset.py``), read as it is.

One folder a dataset (``D0_BIWI/``, ``D1_vocaset/``…)::

    train.json, val.json, test.json    {"info": {"id_list": [...]},
                                        "data": [{"annot_path", "audio_path", "id",
                                                  "annot_type", "dataset", "fps"}, ...]}
    id_template.npy                    (identities, V*3) or (identities, V, 3)
    <annot_path>, <audio_path>         relative to the folder

Each JSON file is a split. Motion files stored at 60 fps are used every 2nd frame and at
100 fps every 4th (``dataset/data_item.py``). A clip is named after its motion file's stem
(``F2_e37``); a stem without ``_`` is prefixed with its identity (``{id}_{stem}``). Only
vertex annotations (``*_vertices``) can be scored with vertex metrics.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from selftalk.data.layout import DatasetMeta, split_clip_name
from selftalk.data.layouts.base import ForeignLayout
from selftalk.data.layouts.known import BIWI, VOCASET, KnownDataset
from selftalk.data.splits import Splits, read_splits
from selftalk.errors import InputError
from selftalk.io import read_json

SPLIT_FILES = ("train", "val", "test")
TEMPLATE_FILE = "id_template.npy"
#: stored fps → (fps used, step), as UniTalker's DataItem
FRAME_RATES = {60: (30, 2), 100: (25, 4), 30: (30, 1), 25: (25, 1)}
#: annot_type → the known dataset whose splits/scale conventions apply
ANNOT_TYPES = {"BIWI_23370_vertices": BIWI, "FLAME_5023_vertices": VOCASET}
#: UniTalker's ``dataset_config.py`` scales (applied to motion and templates before its metrics)
DATASET_SCALES = {"D0": 0.2, "D1": 1.0, "D2": 0.001}


class UniTalkerLayout(ForeignLayout):
    """A UniTalker dataset folder: split JSON files, ``id_template.npy``, motion and audio files."""

    layout_name = "unitalker"

    @staticmethod
    def detect(root: Path) -> bool:
        return (root / TEMPLATE_FILE).is_file() and any(
            (root / f"{name}.json").is_file() for name in SPLIT_FILES
        )

    @cached_property
    def _index(self) -> dict[str, dict[str, Any]]:
        """clip → {split, annot, audio, id, subject, fps, annot_type, dataset}."""
        index: dict[str, dict[str, Any]] = {}
        for split in SPLIT_FILES:
            path = self.root / f"{split}.json"
            if not path.is_file():
                continue
            obj = read_json(path)
            items = obj.get("data") if isinstance(obj, dict) else None
            if not isinstance(items, list):
                raise InputError(path, 'expected {"info": {...}, "data": [...]} (UniTalker split)')
            id_list = (obj.get("info") or {}).get("id_list") or []
            for item in items:
                entry = _entry(item, id_list, path)
                entry["split"] = split
                stem = Path(entry["annot"]).stem
                name = stem if "_" in stem else f"{entry['subject']}_{stem}"
                index[name] = entry
        if not index:
            raise InputError(self.root, "the UniTalker split files list no clip")
        return index

    def _paths(self, key: str) -> dict[str, Path]:
        return {name: self.root / e[key] for name, e in sorted(self._index.items())}

    def audio_files(self) -> dict[str, Path]:
        return {n: p for n, p in self._paths("audio").items() if p.is_file()}

    def vertex_files(self) -> dict[str, Path]:
        return {n: p for n, p in self._paths("annot").items() if p.is_file()}

    def audio_path(self, name: str) -> Path:
        path = self._paths("audio").get(name)
        if path is None or not path.is_file():
            raise InputError(path or self.root / name, "no audio for this clip")
        return path

    def vertices_path(self, name: str) -> Path:
        path = self._paths("annot").get(name)
        if path is None or not path.is_file():
            raise InputError(path or self.root / name, "no motion for this clip")
        return path

    @cached_property
    def known(self) -> KnownDataset | None:
        types = {e["annot_type"] for e in self._index.values()}
        return ANNOT_TYPES.get(types.pop()) if len(types) == 1 else None

    @cached_property
    def meta(self) -> DatasetMeta:
        entries = list(self._index.values())
        bad = sorted(
            {e["annot_type"] for e in entries if not e["annot_type"].endswith("_vertices")}
        )
        if bad:
            raise InputError(
                self.root,
                f"annotations {', '.join(bad)} are not vertices: vertex metrics need vertices",
            )
        rates = {e["fps"] for e in entries}
        if len(rates) != 1 or next(iter(rates)) not in FRAME_RATES:
            raise InputError(self.root, f"unsupported or mixed frame rates {sorted(rates)}")
        file_fps = next(iter(rates))
        datasets = {e["dataset"] for e in entries}
        extra: dict[str, Any] = {"layout": self.layout_name}
        if len(datasets) == 1 and next(iter(datasets)) in DATASET_SCALES:
            extra["unitalker_scale"] = DATASET_SCALES[next(iter(datasets))]
        return DatasetMeta(
            name=self.known.name if self.known else self.root.name,
            fps=FRAME_RATES[file_fps][0],
            file_fps=file_fps,
            n_vertices=int(self._templates_array.shape[1]) // 3,
            subjects=sorted({self.subject_of(n) for n in self._index}),
            extra=extra,
        )

    @property
    def templates_path(self) -> Path:
        return self.root / TEMPLATE_FILE

    @cached_property
    def _templates_array(self) -> np.ndarray:
        from selftalk.checks import finite_array
        from selftalk.io import load_npy

        array = load_npy(self.templates_path, what="templates")  # header checked, no pickles
        finite_array(array, self.templates_path, "the template vertex positions")
        if array.ndim < 2 or array.shape[0] == 0:
            raise InputError(self.templates_path, f"expected (identities, V*3), got {array.shape}")
        return array.reshape(array.shape[0], -1).astype(np.float32)

    def templates(self) -> dict[str, np.ndarray]:
        """{subject: (V, 3)}: each clip's subject gets the template of its identity."""
        array, templates = self._templates_array, {}
        for name, entry in self._index.items():
            subject, identity = self.subject_of(name), entry["id"]
            if not 0 <= identity < len(array):
                raise InputError(self.templates_path, f"has no identity {identity} ({name})")
            template = array[identity].reshape(-1, 3)
            if subject in templates and not np.array_equal(templates[subject], template):
                raise InputError(
                    self.templates_path, f"subject {subject!r} has clips of several identities"
                )
            templates[subject] = template
        return templates

    def splits(self) -> Splits:
        """UniTalker's own train / val / test files (or the split file)."""
        if self.split_file is not None:
            return read_splits(self.split_file)
        splits: Splits = {}
        for name, entry in sorted(self._index.items()):
            subject, sentence = split_clip_name(name)
            splits.setdefault(entry["split"], {}).setdefault(subject, []).append(sentence)
        return splits


def _entry(item: Any, id_list: list, path: Path) -> dict[str, Any]:
    keys = ("annot_path", "audio_path", "id", "annot_type", "dataset", "fps")
    if not isinstance(item, dict) or any(k not in item for k in keys):
        raise InputError(path, f"each data item needs {', '.join(keys)}")
    identity = item["id"]
    if not isinstance(identity, int):
        raise InputError(path, f"identity {identity!r} is not an integer")
    subject = id_list[identity] if 0 <= identity < len(id_list) else f"id{identity}"
    return {
        "annot": str(item["annot_path"]),
        "audio": str(item["audio_path"]),
        "id": identity,
        "subject": str(subject).replace("/", "-").replace(" ", "-"),
        "fps": item["fps"],
        "annot_type": str(item["annot_type"]),
        "dataset": str(item["dataset"]),
    }
