"""The processed dataset layout (docs/data-format.md): read it, and write it.

:class:`DatasetLayout` reads a prepared dataset directory; :class:`DatasetWriter` produces
one. ``selftalk prepare`` and the synthetic corpus generator both write through
:class:`DatasetWriter`, so every dataset the project trains on has the same shape::

    writer = DatasetWriter(out_dir, name="mine", fps=30)
    writer.write_clip("alice", "s01", audio=samples, sample_rate=16000, vertices=motion)
    writer.write_templates({"alice": neutral})
    writer.write_mesh(neutral, faces)
    writer.write_regions(lip=lip_ids, upper_face=upper_ids)
    writer.write_splits({"train": {"alice": ["s01"]}})
    writer.finish()

Every file is written atomically, and a clip file that already exists is skipped unless the
writer was made with ``overwrite=True``: an interrupted run is resumed by running it again.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from selftalk.checks import finite_array
from selftalk.errors import ConfigError, InputError, OutputError
from selftalk.io import (
    atomic_path,
    load_npy,
    make_folders,
    read_json,
    save_npy,
    save_npz,
    write_json,
)

FORMAT = "selftalk-dataset"
VERSION = 1

#: Audio suffixes a layout may hold, in the order preferred when one stem has several.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a")

META_FILE = "meta.json"
MESH_FILE = "mesh.ply"
TEMPLATES_FILE = "templates.npz"
LEGACY_TEMPLATES_FILE = "templates.pkl"
SPLITS_FILE = "splits.json"
REGIONS_DIR = "regions"
LIP_REGION_NAME = "lve.txt"
UPPER_FACE_REGION_NAME = "fdd.txt"
LIP_REGION_FILE = f"{REGIONS_DIR}/{LIP_REGION_NAME}"
UPPER_FACE_REGION_FILE = f"{REGIONS_DIR}/{UPPER_FACE_REGION_NAME}"
AUDIO_DIR = "wav"
VERTICES_DIR = "vertices_npy"
NOT_A_DATASET = (
    "no such file: is this a prepared dataset? (other repositories' layouts are read as they "
    "are: vertices_npy/ with templates.pkl, or UniTalker's train.json with id_template.npy)"
)
#: the files and folder that describe a face topology; a training run and a model directory
#: hold them too, so predictions need only the run (see :class:`TopologyFiles`)
TOPOLOGY_FILES = (MESH_FILE, TEMPLATES_FILE, REGIONS_DIR)

_RESERVED_META_KEYS = {
    "format",
    "version",
    "name",
    "fps",
    "file_fps",
    "n_vertices",
    "subjects",
    "clips",
}
_NAME_PART = re.compile(r"^[^/\\\s]+$")


def _refuse_another_dataset(root: Path, name: str) -> None:
    """A writer adds to (or resumes) a dataset of its own name, never to another one."""
    meta = root / META_FILE
    if not meta.is_file():
        return
    try:
        other = json.loads(meta.read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError, AttributeError):
        other = None
    if other != name:
        raise OutputError(
            root,
            f"already holds {'the dataset ' + repr(other) if other else 'another dataset'}, "
            f"not {name!r}: choose an empty or new folder",
        )


# --------------------------------------------------------------------------- clip names


def clip_name(subject: str, sentence: str) -> str:
    """``{subject}_{sentence}``; the sentence may not contain ``_`` (the subject may)."""
    if not subject or not _NAME_PART.match(subject):
        raise ValueError(
            f"bad subject name {subject!r}: it must be non-empty, without spaces or slashes"
        )
    if not sentence or "_" in sentence or not _NAME_PART.match(sentence):
        raise ValueError(
            f"bad sentence name {sentence!r}: it must be non-empty, without '_', spaces or slashes"
        )
    return f"{subject}_{sentence}"


def split_clip_name(name: str) -> tuple[str, str]:
    """``(subject, sentence)`` of a clip: the subject is everything before the last ``_``."""
    subject, sep, sentence = name.rpartition("_")
    if not sep or not subject or not sentence:
        raise ValueError(f"bad clip name {name!r}: expected {{subject}}_{{sentence}}")
    return subject, sentence


# --------------------------------------------------------------------------- meta.json


@dataclass(frozen=True, kw_only=True)
class DatasetMeta:
    """What ``meta.json`` says about a dataset.

    Attributes:
        name: a label (``vocaset``, ``biwi``, ``synthtalk``…).
        fps: frame rate models train at.
        file_fps: frame rate of the ``.npy`` files, a whole multiple of ``fps``.
        n_vertices: V, vertices per frame.
        subjects: subjects with clips, sorted.
        clips: optional per-clip facts (transcript, phones, source…), keyed by clip name.
        extra: any other top-level keys, kept as they are.
    """

    name: str
    fps: float
    file_fps: float
    n_vertices: int
    subjects: list[str] = field(default_factory=list)
    clips: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def frame_step(self) -> int:
        """Loaders take every ``frame_step``-th frame of a file (``file_fps / fps``)."""
        return frame_step(self.file_fps, self.fps)

    def to_json(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "fps": self.fps,
            "file_fps": self.file_fps,
            "n_vertices": self.n_vertices,
            "subjects": list(self.subjects),
        }
        obj.update(self.extra)
        if self.clips:
            obj["clips"] = self.clips
        return obj

    @classmethod
    def from_json(cls, obj: Any, path: str | Path = META_FILE) -> DatasetMeta:
        """Validate a parsed ``meta.json``; problems raise :class:`InputError` naming ``path``."""
        if not isinstance(obj, dict):
            raise InputError(path, "expected a JSON object")
        if obj.get("format", FORMAT) != FORMAT:
            raise InputError(path, f"format is {obj.get('format')!r}, expected {FORMAT!r}")
        if int(obj.get("version", VERSION)) > VERSION:
            raise InputError(
                path, f"version {obj['version']} is newer than this selftalk reads ({VERSION})"
            )
        try:
            fps = _positive_number(obj, "fps")
            file_fps = _positive_number(obj, "file_fps", default=fps)
            frame_step(file_fps, fps)
        except ValueError as error:
            raise InputError(path, str(error)) from None
        n_vertices = obj.get("n_vertices")
        if not isinstance(n_vertices, int) or isinstance(n_vertices, bool) or n_vertices <= 0:
            raise InputError(path, f"n_vertices must be a positive integer, got {n_vertices!r}")
        subjects = obj.get("subjects", [])
        if not isinstance(subjects, list) or not all(isinstance(s, str) for s in subjects):
            raise InputError(path, "subjects must be a list of names")
        clips = obj.get("clips", {})
        if not isinstance(clips, dict) or not all(isinstance(v, dict) for v in clips.values()):
            raise InputError(path, "clips must map clip names to objects")
        return cls(
            name=str(obj.get("name", "")),
            fps=fps,
            file_fps=file_fps,
            n_vertices=n_vertices,
            subjects=list(subjects),
            clips=dict(clips),
            extra={k: v for k, v in obj.items() if k not in _RESERVED_META_KEYS},
        )


def frame_step(file_fps: float, fps: float) -> int:
    """``file_fps / fps`` as a whole number; raises :class:`ConfigError` (a ValueError) when
    it is not one."""
    if not (fps > 0 and file_fps > 0 and math.isfinite(fps) and math.isfinite(file_fps)):
        raise ConfigError(f"frame rates must be positive (fps {fps}, file_fps {file_fps})")
    step = file_fps / fps
    if abs(step - round(step)) > 1e-9 or round(step) < 1:
        raise ConfigError(
            f"file_fps {file_fps:g} is not a whole multiple of fps {fps:g} "
            f"(use {file_fps:g} / n: {', '.join(f'{file_fps / n:g}' for n in range(1, 5))}, …)"
        )
    return int(round(step))


def _positive_number(obj: dict, key: str, default: float | None = None) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{key} must be a positive number, got {value!r}")
    return value


def read_meta(data_dir: str | Path) -> DatasetMeta:
    """Read and validate ``DATA_DIR/meta.json``."""
    path = Path(data_dir) / META_FILE
    obj = read_json(path, missing=NOT_A_DATASET)
    return DatasetMeta.from_json(obj, path)


# --------------------------------------------------------------------------- templates


def read_templates(path: str | Path) -> dict[str, np.ndarray]:
    """{subject: (V, 3) float32} templates from ``templates.npz`` or a ``templates.pkl``
    (VOCASET/BIWI, or a legacy dataset: {subject: (V, 3) or (V·3,)}), told apart by content.

    The pickle goes through the data-only unpickler, so a hostile file runs no code.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such templates file")
    with open(path, "rb") as f:
        is_zip = f.read(2) == b"PK"  # an .npz is a zip archive; anything else a pickle
    if not is_zip:
        from selftalk.data.safe_pickle import load_pickle

        raw = load_pickle(path)
        if not isinstance(raw, dict):
            raise InputError(path, "expected a dict of {subject: template array}")
        items = list(raw.items())
    else:
        try:
            with np.load(path, allow_pickle=False) as npz:
                items = [(k, npz[k]) for k in npz.files]
        except Exception as error:  # zip or npy errors of several kinds
            raise InputError(path, f"not a readable .npz file ({error})") from None
    templates: dict[str, np.ndarray] = {}
    for subject, value in items:
        try:
            array = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise InputError(path, f"the template of {subject!r} is not numeric") from None
        if array.size == 0 or array.size % 3:
            raise InputError(path, f"the template of {subject!r} has {array.size} values, not V×3")
        finite_array(array, path, f"the vertex positions of the template of {subject!r}")
        templates[str(subject)] = array.reshape(-1, 3)
    return templates


def write_templates(path: str | Path, templates: Mapping[str, np.ndarray]) -> None:
    """Write {subject: (V, 3)} templates as float32 arrays in an ``.npz``, atomically."""
    arrays = {}
    for subject, value in templates.items():
        array = np.asarray(value, dtype=np.float32)
        if array.size == 0 or array.size % 3:
            raise ValueError(f"the template of {subject!r} has {array.size} values, not V×3")
        arrays[str(subject)] = array.reshape(-1, 3)
    save_npz(path, **arrays)


# --------------------------------------------------------------------------- reading


class TopologyFiles:
    """The topology files of a directory: ``mesh.ply``, ``templates.npz`` and ``regions/``.

    A dataset holds them, and so do a training run and a model directory (copied from the
    data), so that predictions need only the run. Nothing is read until asked for.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def mesh_path(self) -> Path:
        return self.root / MESH_FILE

    @property
    def templates_path(self) -> Path:
        """``templates.npz``, or the legacy ``templates.pkl`` when only that one exists."""
        npz = self.root / TEMPLATES_FILE
        legacy = self.root / LEGACY_TEMPLATES_FILE
        return legacy if not npz.exists() and legacy.exists() else npz

    @property
    def lip_region_path(self) -> Path:
        return self.root / LIP_REGION_FILE

    @property
    def upper_face_region_path(self) -> Path:
        return self.root / UPPER_FACE_REGION_FILE

    def templates(self, *, missing_ok: bool = False) -> dict[str, np.ndarray]:
        """{subject: (V, 3) float32}; {} when there is no templates file and ``missing_ok``."""
        path = self.templates_path
        if missing_ok and not path.exists():
            return {}
        return read_templates(path)

    def mesh(self):
        """The :class:`selftalk.mesh.Mesh` of ``mesh.ply``, or None when there is none."""
        from selftalk.mesh import read_mesh

        return read_mesh(self.mesh_path) if self.mesh_path.is_file() else None

    def lip_indices(self) -> np.ndarray:
        """(L,) int64 lip vertices of ``regions/lve.txt``, in file order."""
        from selftalk.topology import read_indices

        return read_indices(self.lip_region_path)

    def upper_face_indices(self) -> np.ndarray | None:
        """(U,) int64 upper-face vertices, or None when there is no ``regions/fdd.txt``."""
        from selftalk.topology import read_indices

        path = self.upper_face_region_path
        return read_indices(path) if path.exists() else None

    def copy_to(self, target: str | Path) -> None:
        """Copy the topology files that exist here into ``target`` (created when missing)."""
        target = Path(target)
        target.mkdir(parents=True, exist_ok=True)
        for source in (self.mesh_path, self.templates_path, self.root / REGIONS_DIR):
            if source.is_dir():
                shutil.copytree(source, target / source.name, dirs_exist_ok=True)
            elif source.is_file():
                shutil.copy2(source, target / source.name)


class DatasetLayout(TopologyFiles):
    """A prepared dataset directory, read lazily.

    Clip files are found by listing ``wav/`` and ``vertices_npy/``; ``meta.json``,
    templates and splits are read on first use and raise :class:`InputError` when broken.
    ``split_file``: a JSON file of named splits used instead of ``splits.json``.

    Other repositories' layouts are read through subclasses with the same interface
    (:mod:`selftalk.data.layouts`; :func:`selftalk.data.layouts.open_dataset` picks one).
    """

    #: which layout this is, for messages and reports
    layout_name = "selftalk"

    def __init__(self, root: str | Path, *, split_file: str | Path | None = None):
        super().__init__(root)
        self.split_file = None if split_file is None else Path(split_file)
        if not self.root.is_dir():
            raise InputError(self.root, "no such dataset directory")

    # paths
    @property
    def meta_path(self) -> Path:
        return self.root / META_FILE

    @property
    def splits_path(self) -> Path:
        return self.split_file or self.root / SPLITS_FILE

    @property
    def audio_dir(self) -> Path:
        return self.root / AUDIO_DIR

    @property
    def vertices_dir(self) -> Path:
        return self.root / VERTICES_DIR

    # contents
    @cached_property
    def meta(self) -> DatasetMeta:
        return read_meta(self.root)

    def audio_files(self) -> dict[str, Path]:
        """{clip name: audio file}; of several formats of one stem, the first of AUDIO_SUFFIXES."""
        return _files_by_stem(self.audio_dir, AUDIO_SUFFIXES)

    def vertex_files(self) -> dict[str, Path]:
        """{clip name: ``.npy`` motion file}."""
        return _files_by_stem(self.vertices_dir, (".npy",))

    def clips(self) -> list[str]:
        """Names of the clips that have both audio and motion, sorted."""
        audio = self.audio_files()
        return sorted(name for name in self.vertex_files() if name in audio)

    def audio_path(self, name: str) -> Path:
        for suffix in AUDIO_SUFFIXES:
            path = self.audio_dir / f"{name}{suffix}"
            if path.is_file():
                return path
        raise InputError(self.audio_dir / f"{name}.wav", "no audio for this clip")

    def vertices_path(self, name: str) -> Path:
        path = self.vertices_dir / f"{name}.npy"
        if not path.is_file():
            raise InputError(path, "no motion for this clip")
        return path

    def motion(self, name: str, *, step: int | None = None) -> np.ndarray:
        """(T, V, 3) float32 motion of clip ``name``: every ``step``-th stored frame (default:
        the meta's ``frame_step``, i.e. at the dataset's fps)."""
        step = self.meta.frame_step if step is None else step
        path = self.vertices_path(name)
        stored = open_motion(path)
        frames = finite_array(
            np.array(stored[::step], dtype=np.float32), path, "its vertex positions"
        )
        return frames.reshape(-1, stored.shape[1] // 3, 3)

    def clip_array_path(self, folder: str, name: str) -> Path:
        """``folder/{clip}.npy``: a per-clip array beyond the layout (e.g. ``arkit``)."""
        return self.root / folder / f"{name}.npy"

    def splits(self) -> dict[str, dict[str, list[str]]]:
        """The named splits of ``splits.json`` or the split file ({} when there is none)."""
        from selftalk.data.splits import read_splits

        if self.split_file is None and not self.splits_path.exists():
            return {}
        return read_splits(self.splits_path)

    def split(self, name: str) -> tuple[dict[str, list[str]], str | None]:
        """{subject: [sentence, …]} of split ``name`` and a note when an alias was followed
        (BIWI's ``test`` is ``test-a``); an unknown split raises :class:`InputError`."""
        from selftalk.data.splits import select_split

        return select_split(self.splits(), name, dataset=self.meta.name, source=self.splits_path)

    def subject_of(self, name: str) -> str:
        """The subject of clip ``name`` (everything before its last ``_``)."""
        return split_clip_name(name)[0]

    def regions(self, spec: str = "auto"):
        """Lip and upper-face vertices (:class:`selftalk.data.regions.Regions`) named by ``spec``."""
        from selftalk.data.regions import resolve_regions

        return resolve_regions(self.root, spec, dataset=self.meta.name)

    def topology(self):
        """The dataset's :class:`selftalk.topology.Topology` (mesh, regions, fps)."""
        from selftalk.topology import Topology

        return Topology.from_dataset(self.root)


def open_motion(path: str | Path, n_vertices: int | None = None) -> np.ndarray:
    """Memory-map a ``vertices_npy`` file: (T_file, V·3) numbers, T_file > 0.

    A file that is not such an array (or, given ``n_vertices``, holds another V) raises
    :class:`InputError` naming it.
    """
    motion = load_npy(path, what="motion", mmap=True)
    if (
        motion.ndim != 2
        or len(motion) == 0
        or motion.shape[1] == 0
        or motion.shape[1] % 3
        or not np.issubdtype(motion.dtype, np.number)
    ):
        raise InputError(path, f"expected (T, V*3) numbers with T > 0, got {motion.shape}")
    if n_vertices is not None and motion.shape[1] != 3 * n_vertices:
        raise InputError(
            path,
            f"expected (T, {3 * n_vertices}) motion for {n_vertices} vertices, got {motion.shape}",
        )
    return motion


def _files_by_stem(directory: Path, suffixes: tuple[str, ...]) -> dict[str, Path]:
    if not directory.is_dir():
        return {}
    rank = {suffix: i for i, suffix in enumerate(suffixes)}
    found: dict[str, Path] = {}
    for path in directory.iterdir():
        suffix = path.suffix.lower()
        if suffix not in rank or path.name.startswith(".") or not path.is_file():
            continue  # hidden names are the temporary files of atomic writes
        best = found.get(path.stem)
        if best is None or rank[suffix] < rank[best.suffix.lower()]:
            found[path.stem] = path
    return dict(sorted(found.items()))


# --------------------------------------------------------------------------- writing


def _soundfile_subtype(dtype: np.dtype) -> str:
    """The WAV sample format that stores ``dtype`` samples without conversion."""
    subtypes = {
        np.dtype(np.int16): "PCM_16",
        np.dtype(np.int32): "PCM_32",
        np.dtype(np.uint8): "PCM_U8",
        np.dtype(np.float32): "FLOAT",
        np.dtype(np.float64): "DOUBLE",
    }
    if dtype not in subtypes:
        raise ValueError(
            f"cannot store {dtype} audio samples (use int16, int32, uint8, float32 or float64)"
        )
    return subtypes[dtype]


def write_audio(
    path: str | Path, audio: np.ndarray, sample_rate: int, *, subtype: str | None = None
) -> None:
    """Write (S,) or (S, C) samples to a sound file atomically, keeping their sample format.

    int16/int32/uint8 samples are stored as they are (``.wav``: PCM); float samples as float.
    ``subtype`` (a soundfile subtype such as ``"PCM_16"``) converts them instead; float samples
    are then clipped to [-1, 1] first.
    """
    import soundfile

    path = Path(path)
    audio = np.asarray(audio)
    if audio.ndim not in (1, 2) or audio.shape[0] == 0:
        raise ValueError(f"audio must be (S,) or (S, C) with S > 0, got shape {audio.shape}")
    if int(sample_rate) <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    if subtype is not None:
        if np.issubdtype(audio.dtype, np.floating):
            audio = np.clip(audio, -1, 1)
    elif path.suffix.lower() == ".wav":
        subtype = _soundfile_subtype(audio.dtype)
    if subtype is None and np.issubdtype(audio.dtype, np.integer):
        audio = audio.astype(np.float32) / float(np.iinfo(audio.dtype).max)
    with atomic_path(path) as tmp:
        soundfile.write(str(tmp), audio, int(sample_rate), subtype=subtype)


def as_motion(vertices: np.ndarray, n_vertices: int | None = None) -> np.ndarray:
    """(T, V, 3) or (T, V·3) motion → (T, V·3) float32; checks V against ``n_vertices``."""
    array = np.asarray(vertices, dtype=np.float32)
    if array.ndim == 3 and array.shape[2] == 3:
        array = array.reshape(len(array), -1)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0 or array.shape[1] % 3:
        raise ValueError(
            f"motion must be (T, V, 3) or (T, V*3) with T > 0, got shape {np.shape(vertices)}"
        )
    if n_vertices is not None and array.shape[1] != 3 * n_vertices:
        raise ValueError(f"motion has {array.shape[1] // 3} vertices, the dataset {n_vertices}")
    return array


class DatasetWriter:
    """Write a dataset in the processed layout, atomically and resumably.

    Args:
        out_dir: the dataset directory (created when missing).
        name: a label stored in ``meta.json``.
        fps: frame rate models train at.
        file_fps: frame rate of the motion files written (default: ``fps``); a whole multiple
            of ``fps``.
        overwrite: rewrite clip files that already exist (default: skip them).
    """

    def __init__(
        self,
        out_dir: str | Path,
        *,
        name: str,
        fps: float,
        file_fps: float | None = None,
        overwrite: bool = False,
    ):
        self.root = Path(out_dir)
        self.name = name
        self.fps = fps
        self.file_fps = fps if file_fps is None else file_fps
        frame_step(self.file_fps, self.fps)  # raises ConfigError early
        self.overwrite = overwrite
        self._n_vertices: int | None = None
        self._clip_info: dict[str, dict[str, Any]] = {}
        _refuse_another_dataset(self.root, name)
        make_folders(self.root)

    # clips
    def audio_path(self, subject: str, sentence: str, suffix: str = ".wav") -> Path:
        return self.root / AUDIO_DIR / f"{clip_name(subject, sentence)}{suffix}"

    def vertices_path(self, subject: str, sentence: str) -> Path:
        return self.root / VERTICES_DIR / f"{clip_name(subject, sentence)}.npy"

    def has_audio(self, subject: str, sentence: str) -> bool:
        """True when an audio file of this clip exists (in any supported format)."""
        name = clip_name(subject, sentence)
        return any((self.root / AUDIO_DIR / f"{name}{s}").is_file() for s in AUDIO_SUFFIXES)

    def has_vertices(self, subject: str, sentence: str) -> bool:
        return self.vertices_path(subject, sentence).is_file()

    def needs_audio(self, subject: str, sentence: str) -> bool:
        """Whether a run should (re)write this clip's audio."""
        return self.overwrite or not self.has_audio(subject, sentence)

    def needs_vertices(self, subject: str, sentence: str) -> bool:
        return self.overwrite or not self.has_vertices(subject, sentence)

    def write_audio(
        self,
        subject: str,
        sentence: str,
        audio: np.ndarray,
        sample_rate: int,
        *,
        suffix: str = ".wav",
        subtype: str | None = None,
    ) -> bool:
        """Write (S,) or (S, C) samples; returns False when skipped (already there).

        ``subtype`` converts the samples (see :func:`write_audio`)."""
        if not self.needs_audio(subject, sentence):
            return False
        if suffix.lower() not in AUDIO_SUFFIXES:
            raise ValueError(
                f"unsupported audio suffix {suffix!r} (use one of {', '.join(AUDIO_SUFFIXES)})"
            )
        path = self.audio_path(subject, sentence, suffix)
        write_audio(path, audio, sample_rate, subtype=subtype)
        return True

    def write_vertices(self, subject: str, sentence: str, vertices: np.ndarray) -> bool:
        """Write (T, V, 3) or (T, V·3) motion at ``file_fps``; returns False when skipped."""
        motion = as_motion(vertices, self._n_vertices)
        self._n_vertices = motion.shape[1] // 3
        if not self.needs_vertices(subject, sentence):
            return False
        save_npy(self.vertices_path(subject, sentence), motion)
        return True

    def write_clip(
        self,
        subject: str,
        sentence: str,
        *,
        audio: np.ndarray,
        sample_rate: int,
        vertices: np.ndarray,
        info: Mapping[str, Any] | None = None,
        subtype: str | None = None,
    ) -> bool:
        """Write one clip's audio and motion (and record ``info`` in meta.json).

        Returns True when anything was written, False when both files were already there.
        """
        if info is not None:
            self.add_clip_info(subject, sentence, info)
        wrote_vertices = self.write_vertices(subject, sentence, vertices)
        wrote_audio = self.write_audio(subject, sentence, audio, sample_rate, subtype=subtype)
        return wrote_vertices or wrote_audio

    def clip_array_path(self, folder: str, subject: str, sentence: str) -> Path:
        return self.root / folder / f"{clip_name(subject, sentence)}.npy"

    def write_clip_array(self, folder: str, subject: str, sentence: str, array: np.ndarray) -> bool:
        """A per-clip array beyond the layout (e.g. SynthTalk's ``arkit/{clip}.npy``) →
        ``folder/{clip}.npy``; returns False when skipped (already there)."""
        if folder in (AUDIO_DIR, VERTICES_DIR) or not _NAME_PART.match(folder):
            raise ValueError(f"bad folder name {folder!r} for per-clip arrays")
        path = self.clip_array_path(folder, subject, sentence)
        if path.is_file() and not self.overwrite:
            return False
        save_npy(path, array)
        return True

    def add_clip_info(self, subject: str, sentence: str, info: Mapping[str, Any]) -> None:
        """Per-clip facts (transcript, phones, voice…) stored under ``clips`` in meta.json."""
        json.dumps(dict(info))  # fail now, not in finish(), when info is not JSON-serialisable
        self._clip_info.setdefault(clip_name(subject, sentence), {}).update(info)

    # dataset-wide files
    def write_templates(self, templates: Mapping[str, np.ndarray]) -> None:
        """{subject: (V, 3)} neutral faces → ``templates.npz``."""
        for subject, value in templates.items():
            self._check_vertex_count(np.asarray(value).size // 3, f"the template of {subject!r}")
        write_templates(self.root / TEMPLATES_FILE, templates)

    def write_mesh(self, vertices: np.ndarray, faces: np.ndarray | None) -> None:
        """The topology: a neutral face (V, 3) and its triangles (F, 3) → ``mesh.ply``."""
        from selftalk.mesh import write_mesh

        vertices = np.asarray(vertices, dtype=np.float32).reshape(-1, 3)
        self._check_vertex_count(len(vertices), "the mesh")
        if (
            faces is not None
            and len(faces)
            and (np.min(faces) < 0 or np.max(faces) >= len(vertices))
        ):
            raise ValueError("a face refers to a vertex that does not exist")
        write_mesh(self.root / MESH_FILE, vertices, faces)

    def write_regions(self, *, lip: Iterable[int], upper_face: Iterable[int] | None = None) -> None:
        """Lip and upper-face vertex indices → ``regions/lve.txt`` and ``regions/fdd.txt``."""
        from selftalk.topology import write_indices

        for label, indices, file in (
            ("lip", lip, LIP_REGION_FILE),
            ("upper-face", upper_face, UPPER_FACE_REGION_FILE),
        ):
            if indices is None:
                continue
            array = np.asarray(list(indices), dtype=np.int64)
            if array.size == 0:
                raise ValueError(f"the {label} region is empty")
            if array.min() < 0:
                raise ValueError(f"the {label} region holds a negative vertex index")
            if self._n_vertices is not None and array.max() >= self._n_vertices:
                raise ValueError(
                    f"the {label} region refers to vertex {int(array.max())}, "
                    f"outside 0..{self._n_vertices - 1}"
                )
            write_indices(self.root / file, array)

    def write_splits(self, splits: Mapping[str, Mapping[str, Iterable[str]]]) -> None:
        """Named splits {split: {subject: [sentence, …]}} → ``splits.json``."""
        from selftalk.data.splits import validate_splits

        write_json(self.root / SPLITS_FILE, validate_splits(splits))

    def finish(self, meta_extra: Mapping[str, Any] | None = None) -> DatasetMeta:
        """Write ``meta.json`` last, from the clips on disk; returns what it wrote.

        ``meta_extra`` adds top-level keys (e.g. ``{"source": …}``). Clip info given in this
        run is merged into the info of an earlier meta.json.
        """
        extra = dict(meta_extra or {})
        clash = _RESERVED_META_KEYS & set(extra)
        if clash:
            raise ValueError(f"meta_extra may not set {', '.join(sorted(clash))}")
        layout = DatasetLayout(self.root)
        names = set(layout.audio_files()) | set(layout.vertex_files())
        subjects = sorted({split_clip_name(n)[0] for n in names})
        clips: dict[str, dict[str, Any]] = {}
        if layout.meta_path.exists():
            try:
                previous = read_meta(self.root)
                clips.update(previous.clips)
                extra = {**previous.extra, **extra}
            except InputError:
                pass  # a broken meta.json is replaced
        for name, info in self._clip_info.items():
            clips.setdefault(name, {}).update(info)
        n_vertices = self._n_vertices or self._vertex_count_on_disk(layout)
        if n_vertices is None:
            raise ValueError("no motion, template or mesh was written: the vertex count is unknown")
        meta = DatasetMeta(
            name=self.name,
            fps=self.fps,
            file_fps=self.file_fps,
            n_vertices=n_vertices,
            subjects=subjects,
            clips=dict(sorted(clips.items())),
            extra=extra,
        )
        write_json(layout.meta_path, meta.to_json())
        return meta

    def _check_vertex_count(self, n: int, what: str) -> None:
        if self._n_vertices is not None and n != self._n_vertices:
            raise ValueError(f"{what} has {n} vertices, the dataset {self._n_vertices}")
        self._n_vertices = n

    @staticmethod
    def _vertex_count_on_disk(layout: DatasetLayout) -> int | None:
        for path in layout.vertex_files().values():
            array = load_npy(path, what="motion", mmap=True)
            if array.ndim == 2 and array.shape[1] % 3 == 0:
                return array.shape[1] // 3
        if layout.templates_path.exists():
            templates = read_templates(layout.templates_path)
            if templates:
                return len(next(iter(templates.values())))
        return None
