"""Check a prepared dataset and report every problem found, without stopping at the first.

A problem makes the dataset unfit for training or evaluation as it is (a clip without
audio, motion on another topology, NaN, a split naming an unknown subject…); a warning is
something a user may have meant (no ``fdd.txt``, so no FDD; no ``splits.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from selftalk.data.layout import DatasetMeta, split_clip_name
from selftalk.errors import InputError

#: Problem kinds, each with what it means (docs/datasets.md lists them too).
KINDS = {
    "meta": "meta.json is missing or invalid",
    "mesh": "mesh.ply is missing, unreadable or on another vertex count",
    "templates": "templates are missing, unreadable, on another vertex count or not finite",
    "missing-template": "a subject has clips but no template",
    "regions": "a region file is missing, unreadable or names vertices that do not exist",
    "clip-name": "a file name is not {subject}_{sentence}",
    "audio-without-motion": "a clip has audio but no vertices_npy file",
    "motion-without-audio": "a clip has a vertices_npy file but no audio",
    "motion-unreadable": "a motion file is not a (T, V*3) numeric .npy array with T > 0",
    "vertex-count": "motion has another vertex count than the subject's template",
    "non-finite": "motion contains NaN or infinite values",
    "audio-unreadable": "an audio file cannot be decoded",
    "audio-empty": "an audio file holds no samples",
    "duration": "audio and motion durations differ by more than the tolerance",
    "splits": "splits.json is invalid",
    "split-unknown-subject": "a split names a subject that has no clips",
    "split-missing-clip": "a split names a clip that lacks audio or motion",
}


@dataclass(frozen=True)
class Problem:
    """One finding: ``kind`` (a key of :data:`KINDS`), the file concerned, what is wrong."""

    kind: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.kind}]"


@dataclass(kw_only=True)
class CheckReport:
    """Everything :func:`check_dataset` found."""

    data_dir: Path
    n_clips: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def kinds(self) -> set[str]:
        return {p.kind for p in self.problems}


class _Checker:
    def __init__(
        self,
        data_dir: Path,
        tolerance: float,
        split_file: Path | None = None,
        regions: str = "auto",
    ):
        from selftalk.data.layouts import ForeignLayout, open_dataset

        self.layout = open_dataset(data_dir, split_file=split_file)
        self.foreign = isinstance(self.layout, ForeignLayout)
        self.regions = regions
        self.root = self.layout.root
        self.tolerance = tolerance
        self.report = CheckReport(data_dir=self.root)
        self.meta: DatasetMeta | None = None
        self.templates: dict[str, np.ndarray] = {}

    def problem(self, kind: str, path: Path | str, message: str) -> None:
        self.report.problems.append(Problem(kind, self._rel(path), message))

    def warning(self, kind: str, path: Path | str, message: str) -> None:
        self.report.warnings.append(Problem(kind, self._rel(path), message))

    def _rel(self, path: Path | str) -> str:
        path = Path(path)
        try:
            return str(path.relative_to(self.root)) or "."
        except ValueError:
            return str(path)

    # dataset-wide files
    def check_meta(self) -> None:
        try:
            self.meta = self.layout.meta
        except InputError as error:
            self.problem(
                "meta", error.path if self.foreign else self.layout.meta_path, error.problem
            )

    def check_templates(self) -> None:
        path = self.layout.templates_path
        if not path.exists():
            self.problem("templates", path, "no templates file (templates.npz)")
            return
        try:
            self.templates = self.layout.templates()
        except InputError as error:
            self.problem("templates", path, error.problem)
            return
        expected = self.meta.n_vertices if self.meta else None
        for subject, template in self.templates.items():
            if expected is not None and len(template) != expected:
                self.problem(
                    "templates",
                    path,
                    f"the template of {subject} has {len(template)} vertices, "
                    f"meta.json says {expected}",
                )
            if not np.all(np.isfinite(template)):
                self.problem(
                    "templates", path, f"the template of {subject} contains NaN or infinite values"
                )

    def check_mesh(self) -> int | None:
        from selftalk.mesh import read_mesh

        path = self.layout.mesh_path
        if not path.exists():
            if self.foreign:  # metrics and training do not need it; rendering does
                self.warning("mesh", path, "no mesh file: motions cannot be rendered")
            else:
                self.problem("mesh", path, "no mesh file")
            return None
        try:
            mesh = read_mesh(path)
        except InputError as error:
            self.problem("mesh", path, error.problem)
            return None
        if self.meta and len(mesh.vertices) != self.meta.n_vertices:
            self.problem(
                "mesh",
                path,
                f"has {len(mesh.vertices)} vertices, meta.json says {self.meta.n_vertices}",
            )
        if len(mesh.faces) == 0:
            self.warning("mesh", path, "has no triangles: it cannot be rendered")
        return len(mesh.vertices)

    def check_regions(self, n_vertices: int | None) -> None:
        if self.foreign or self.regions != "auto":
            self.check_resolved_regions(n_vertices)
            return
        from selftalk.topology import read_indices

        for path, required in (
            (self.layout.lip_region_path, True),
            (self.layout.upper_face_region_path, False),
        ):
            if not path.exists():
                if required:
                    self.problem(
                        "regions", path, "no lip region file: the lip reader and LVE need it"
                    )
                else:
                    self.warning(
                        "regions", path, "no upper-face region file: FDD cannot be computed"
                    )
                continue
            try:
                indices = read_indices(path)
            except InputError as error:
                self.problem("regions", path, error.problem)
                continue
            if indices.min() < 0:
                self.problem(
                    "regions", path, f"names vertex {int(indices.min())}, a negative index"
                )
            elif n_vertices is not None and indices.max() >= n_vertices:
                self.problem(
                    "regions",
                    path,
                    f"names vertex {int(indices.max())}, outside 0..{n_vertices - 1}",
                )

    def check_resolved_regions(self, n_vertices: int | None) -> None:
        """Regions of another layout (or named by ``--regions``): the masks it has, if any."""
        try:
            regions = self.layout.regions(self.regions)
        except InputError as error:
            self.problem("regions", error.path, error.problem)
            return
        if regions.upper is None:
            self.warning("regions", self.root, f"{regions.source}: no upper face, so no FDD")
        for label, indices in (("lip", regions.lip), ("upper-face", regions.upper)):
            if indices is None:
                continue
            if indices.min() < 0 or (n_vertices is not None and indices.max() >= n_vertices):
                bad = int(indices.min()) if indices.min() < 0 else int(indices.max())
                self.problem(
                    "regions",
                    regions.source,
                    f"the {label} region names vertex {bad}, outside the mesh",
                )

    # clips
    def check_clips(self, progress: Callable | None) -> None:
        audio = self.layout.audio_files()
        motion = self.layout.vertex_files()
        names = sorted(set(audio) | set(motion))
        self.report.n_clips = len(names)
        subjects_without_template: dict[str, int] = {}
        iterator = progress(names) if progress else names
        for name in iterator:
            try:
                subject, _ = split_clip_name(name)
            except ValueError:
                self.problem(
                    "clip-name", (audio.get(name) or motion[name]), "not named {subject}_{sentence}"
                )
                continue
            if name not in motion:
                self.problem(
                    "audio-without-motion",
                    audio[name],
                    "audio without motion (no vertices_npy file)",
                )
            if name not in audio:
                self.problem(
                    "motion-without-audio", motion[name], "motion without audio (no file in wav/)"
                )
            if self.templates and subject not in self.templates:
                subjects_without_template[subject] = subjects_without_template.get(subject, 0) + 1
            frames = self.check_motion(motion[name], subject) if name in motion else None
            seconds = self.check_audio(audio[name]) if name in audio else None
            if frames is not None and seconds is not None and self.meta is not None:
                motion_seconds = frames / self.meta.file_fps
                if abs(motion_seconds - seconds) > self.tolerance:
                    self.problem(
                        "duration",
                        motion[name],
                        f"motion lasts {motion_seconds:.2f} s "
                        f"({frames} frames at {self.meta.file_fps:g} fps), "
                        f"audio {seconds:.2f} s (tolerance {self.tolerance:g} s)",
                    )
        for subject, count in sorted(subjects_without_template.items()):
            self.problem(
                "missing-template",
                self.layout.templates_path,
                f"no template for {subject} ({count} clip{'s' if count != 1 else ''})",
            )

    def check_motion(self, path: Path, subject: str) -> int | None:
        try:
            motion = np.load(path, mmap_mode="r", allow_pickle=False)
        except Exception as error:  # bad header, pickled object arrays, truncated data…
            self.problem(
                "motion-unreadable", path, f"not a readable .npy array ({_first_line(error)})"
            )
            return None
        if motion.ndim != 2 or len(motion) == 0 or not np.issubdtype(motion.dtype, np.number):
            self.problem(
                "motion-unreadable",
                path,
                f"expected (T, V*3) numbers with T > 0, got {motion.dtype} {motion.shape}",
            )
            return None
        template = self.templates.get(subject)
        expected = (
            len(template) if template is not None else (self.meta.n_vertices if self.meta else None)
        )
        if expected is not None and motion.shape[1] != 3 * expected:
            self.problem(
                "vertex-count",
                path,
                f"{motion.shape[1]} values a frame ({motion.shape[1] / 3:g} vertices), "
                f"the template has {expected} vertices",
            )
        bad_frames = 0
        for start in range(0, len(motion), 256):  # chunks: BIWI frames are 70110 values each
            bad_frames += int((~np.isfinite(motion[start : start + 256])).any(axis=1).sum())
        if bad_frames:
            self.problem(
                "non-finite",
                path,
                f"{bad_frames} of {len(motion)} frames contain NaN or infinite values",
            )
        return len(motion)

    def check_audio(self, path: Path) -> float | None:
        from selftalk.audio import SAMPLE_RATE, load_audio

        if path.stat().st_size == 0:
            self.problem("audio-empty", path, "the file is empty")
            return None
        try:
            samples = load_audio(path)
        except InputError as error:
            kind = "audio-empty" if "no audio samples" in error.problem else "audio-unreadable"
            self.problem(kind, path, error.problem)
            return None
        return len(samples) / SAMPLE_RATE

    # splits
    def check_splits(self) -> None:
        path = self.layout.splits_path
        if self.foreign and self.layout.split_file is None and not path.exists():
            if not self.layout.splits():
                self.warning("splits", path, "not VOCASET nor BIWI: give splits with --split-file")
            return  # the official splits, restricted to the clips present
        if not path.exists():
            self.warning("splits", path, "no splits.json: only the whole dataset can be loaded")
            return
        try:
            splits = self.layout.splits()
        except InputError as error:
            self.problem("splits", path, error.problem)
            return
        clips = set(self.layout.clips())
        subjects = set()  # subjects with any file, complete or not
        for name in set(self.layout.audio_files()) | set(self.layout.vertex_files()):
            try:
                subjects.add(split_clip_name(name)[0])
            except ValueError:
                pass  # reported as clip-name
        for split, members in splits.items():
            unknown = sorted(set(members) - subjects)
            if unknown:
                self.problem(
                    "split-unknown-subject",
                    path,
                    f"split {split!r} names unknown subject(s) {', '.join(unknown)}",
                )
            missing = [
                f"{s}_{q}"
                for s in members
                if s in subjects
                for q in members[s]
                if f"{s}_{q}" not in clips
            ]
            if missing:
                shown = ", ".join(missing[:5]) + (
                    f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                )
                self.problem(
                    "split-missing-clip",
                    path,
                    f"split {split!r} names {len(missing)} clip(s) "
                    f"without audio or motion: {shown}",
                )


def check_dataset(
    data_dir: str | Path,
    *,
    tolerance: float = 0.5,
    progress: Callable | None = None,
    split_file: str | Path | None = None,
    regions: str = "auto",
) -> CheckReport:
    """Check the dataset in ``data_dir`` (docs/data-format.md), in any layout
    :func:`selftalk.data.layouts.open_dataset` reads.

    Args:
        tolerance: largest accepted difference, in seconds, between a clip's audio and motion.
        progress: wraps the iteration over clips (e.g. ``tqdm``), or None.
        split_file: named splits checked instead of the dataset's own.
        regions: the lip / upper-face regions to check (``auto``: the dataset's).
    """
    checker = _Checker(
        Path(data_dir), tolerance, None if split_file is None else Path(split_file), regions
    )
    checker.check_meta()
    checker.check_templates()
    n_vertices = checker.check_mesh()
    if checker.meta is not None:
        n_vertices = checker.meta.n_vertices
    checker.check_regions(n_vertices)
    checker.check_clips(progress)
    checker.check_splits()
    return checker.report


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
