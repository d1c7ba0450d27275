"""VOCASET, from its release files to the processed layout.

The release (voca.is.tue.mpg.de) ships every registered frame in one large array and the
rest as Python 2 pickles:

- ``data_verts.npy``: (N, 5023, 3) vertex positions of all frames at 60 fps; read
  memory-mapped, one sequence at a time;
- ``subj_seq_to_idx.pkl``: {subject: {sentenceNN: {frame number: row of data_verts}}};
- ``raw_audio_fixed.pkl``: {subject: {sentenceNN: {"audio": samples, "sample_rate": rate}}};
- ``templates.pkl``: {subject: (5023, 3) neutral face};
- ``FLAME_sample.ply`` (the FLAME triangles) and ``FLAME_masks.pkl`` (named vertex regions),
  when present.

Every pickle is read with the data-only unpickler. The output keeps the field's conventions:
``vertices_npy/{subject}_{sentenceNN}.npy`` at 60 fps (T, 15069), ``wav/…wav`` with the
release's samples and rate unchanged (as FaceFormer's ``process_voca_data.py`` writes them),
models train at 30 fps (every 2nd frame). Regions: ``lve.txt`` is the FLAME "lips" mask
(254 vertices, the list SelfTalk's release uses for its lip reader); ``fdd.txt`` is the union
of the "forehead" and "eye_region" masks, the upper face used for VOCASET FDD by DiffSpeaker
(CodeTalker's ``cal_metric.py`` only covers BIWI; SelfTalk publishes no metric code).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from selftalk.checks import all_finite, finite_array
from selftalk.data.layout import DatasetWriter, clip_name, frame_step, read_templates
from selftalk.data.report import PrepareReport, progress
from selftalk.data.safe_pickle import load_pickle
from selftalk.data.splits import restrict_splits, vocaset_splits
from selftalk.errors import InputError

FILE_FPS = 60
REQUIRED_FILES = ("data_verts.npy", "subj_seq_to_idx.pkl", "raw_audio_fixed.pkl", "templates.pkl")


@dataclass(frozen=True, kw_only=True)
class VocasetOptions:
    """Options of :func:`prepare_vocaset`.

    Attributes:
        fps: frame rate models train at (the files stay at 60 fps).
        mesh: the FLAME triangles (default: ``RAW_DIR/FLAME_sample.ply`` when present).
        masks: FLAME region masks (default: ``RAW_DIR/FLAME_masks.pkl`` when present).
        lip_region: the mask written to ``regions/lve.txt``.
        upper_face_regions: the masks whose union is written to ``regions/fdd.txt``.
        overwrite: rewrite clip files that exist (default: skip them).
        progress: show a progress bar on stderr.
    """

    fps: float = 30
    mesh: Path | None = None
    masks: Path | None = None
    lip_region: str = "lips"
    upper_face_regions: tuple[str, ...] = ("forehead", "eye_region")
    overwrite: bool = False
    progress: bool = True


@dataclass(frozen=True, kw_only=True)
class _Release:
    """The loaded and validated release (the vertex array stays memory-mapped)."""

    verts: np.ndarray  # (N, V, 3) or (N, V*3), memory-mapped
    rows: dict[tuple[str, str], np.ndarray]  # (subject, sentence) → rows in frame order
    audio: dict[tuple[str, str], tuple[np.ndarray, int]]
    templates: dict[str, np.ndarray]
    mesh_vertices: np.ndarray | None
    faces: np.ndarray | None
    lip: np.ndarray | None
    upper_face: np.ndarray | None

    @property
    def n_vertices(self) -> int:
        return int(np.prod(self.verts.shape[1:])) // 3


def prepare_vocaset(
    raw_dir: str | Path, out_dir: str | Path, options: VocasetOptions = VocasetOptions()
) -> PrepareReport:
    """Convert a VOCASET release in ``raw_dir`` to the processed layout in ``out_dir``.

    Everything is read and checked before the first file is written; clip files that exist
    are skipped (unless ``options.overwrite``), so an interrupted run resumes where it stopped.
    """
    raw_dir = Path(raw_dir)
    report = PrepareReport(out_dir=Path(out_dir))
    frame_step(FILE_FPS, options.fps)  # an fps that does not divide 60: before anything
    release = _load_release(raw_dir, options, report)
    writer = DatasetWriter(
        out_dir, name="vocaset", fps=options.fps, file_fps=FILE_FPS, overwrite=options.overwrite
    )
    writer.write_templates(release.templates)
    if release.mesh_vertices is not None:
        writer.write_mesh(release.mesh_vertices, release.faces)
    else:
        mean = np.mean(np.stack(list(release.templates.values())), axis=0)
        writer.write_mesh(mean, None)
        report.warn(
            "no FLAME_sample.ply: mesh.ply holds the mean template without triangles (pass --mesh)"
        )
    if release.lip is not None:
        writer.write_regions(lip=release.lip, upper_face=release.upper_face)
    else:
        report.warn("no FLAME_masks.pkl: regions/lve.txt and fdd.txt not written (pass --masks)")

    keys = sorted(set(release.rows) & set(release.audio))
    for subject, sentence in sorted(set(release.rows) ^ set(release.audio)):
        lacking = (
            "audio in raw_audio_fixed.pkl"
            if (subject, sentence) in release.rows
            else "motion in subj_seq_to_idx.pkl"
        )
        report.warn(f"{clip_name(subject, sentence)}: skipped, no {lacking}")
    for subject, sentence in progress(
        keys, total=len(keys), desc="vocaset", enabled=options.progress
    ):
        wrote = False
        if writer.needs_vertices(subject, sentence):
            motion = _gather(release.verts, release.rows[subject, sentence])
            if not all_finite(motion):
                report.fail(f"{clip_name(subject, sentence)}: NaN or infinite vertex positions")
                continue
            wrote |= writer.write_vertices(subject, sentence, motion)
        if writer.needs_audio(subject, sentence):
            samples, rate = release.audio[subject, sentence]
            wrote |= writer.write_audio(subject, sentence, samples, rate)
        report.count(wrote)

    complete = [clip_name(s, q) for s, q in keys]
    writer.write_splits(restrict_splits(vocaset_splits(), complete))
    writer.finish({"source": {"dataset": "VOCASET", "files": sorted(REQUIRED_FILES)}})
    return report


def _gather(verts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(T, V*3) float32 frames of one sequence; reads only those rows of the memory map."""
    order = np.argsort(rows, kind="stable")  # read the file forwards, then restore frame order
    frames = np.empty((len(rows), int(np.prod(verts.shape[1:]))), dtype=np.float32)
    frames[order] = np.asarray(verts[rows[order]], dtype=np.float32).reshape(len(rows), -1)
    return frames


def _load_release(raw_dir: Path, options: VocasetOptions, report: PrepareReport) -> _Release:
    if not raw_dir.is_dir():
        raise InputError(raw_dir, "no such directory")
    missing = [name for name in REQUIRED_FILES if not (raw_dir / name).is_file()]
    if missing:
        raise InputError(raw_dir, f"not a VOCASET release: missing {', '.join(missing)}")
    verts = _open_verts(raw_dir / "data_verts.npy")
    n_vertices = int(np.prod(verts.shape[1:])) // 3
    rows = _read_rows(raw_dir / "subj_seq_to_idx.pkl", len(verts))
    audio = _read_audio(raw_dir / "raw_audio_fixed.pkl", report)
    templates = read_templates(raw_dir / "templates.pkl")
    for subject, template in templates.items():
        if len(template) != n_vertices:
            raise InputError(
                raw_dir / "templates.pkl",
                f"the template of {subject} has {len(template)} vertices, "
                f"data_verts.npy {n_vertices}",
            )
    for subject in sorted({s for s, _ in rows} - set(templates)):
        report.warn(f"{subject}: no template in templates.pkl")

    mesh_path = options.mesh or _optional(raw_dir / "FLAME_sample.ply")
    mesh_vertices = faces = None
    if mesh_path is not None:
        from selftalk.mesh import read_mesh

        mesh = read_mesh(mesh_path)
        if len(mesh.vertices) != n_vertices:
            raise InputError(
                mesh_path, f"has {len(mesh.vertices)} vertices, data_verts.npy {n_vertices}"
            )
        mesh_vertices, faces = mesh.vertices, mesh.faces

    masks_path = options.masks or _optional(raw_dir / "FLAME_masks.pkl")
    lip = upper = None
    if masks_path is not None:
        lip, upper = _read_regions(masks_path, options, n_vertices)
    return _Release(
        verts=verts,
        rows=rows,
        audio=audio,
        templates=templates,
        mesh_vertices=mesh_vertices,
        faces=faces,
        lip=lip,
        upper_face=upper,
    )


def _optional(path: Path) -> Path | None:
    return path if path.is_file() else None


def _open_verts(path: Path) -> np.ndarray:
    try:
        verts = np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as error:  # bad magic, truncated header, object arrays…
        raise InputError(path, f"not a readable .npy array ({error})") from None
    size = int(np.prod(verts.shape[1:])) if verts.ndim >= 2 else 0
    if (
        verts.ndim not in (2, 3)
        or size == 0
        or size % 3
        or (verts.ndim == 3 and verts.shape[2] != 3)
    ):
        raise InputError(path, f"expected (frames, V, 3) vertex positions, got shape {verts.shape}")
    if not np.issubdtype(verts.dtype, np.floating):
        raise InputError(path, f"expected floating-point vertex positions, got {verts.dtype}")
    return verts


def _as_dict(obj: Any, path: Path, what: str) -> dict:
    if not isinstance(obj, dict):
        raise InputError(path, f"expected {what}, found {type(obj).__name__}")
    return obj


def _read_rows(path: Path, n_rows: int) -> dict[tuple[str, str], np.ndarray]:
    """{(subject, sentence): rows of data_verts.npy in frame order}."""
    index = _as_dict(load_pickle(path), path, "{subject: {sentence: {frame: row}}}")
    rows: dict[tuple[str, str], np.ndarray] = {}
    for subject, sequences in index.items():
        for sentence, frames in _as_dict(
            sequences, path, f"{{sentence: ...}} for {subject}"
        ).items():
            frames = _as_dict(frames, path, f"{{frame: row}} for {subject} {sentence}")
            if not frames:
                continue
            try:
                pairs = sorted((int(frame), int(row)) for frame, row in frames.items())
            except (TypeError, ValueError):
                raise InputError(
                    path, f"{subject} {sentence}: frame numbers and rows must be integers"
                ) from None
            ordered = np.asarray([row for _, row in pairs], dtype=np.int64)
            if ordered.min() < 0 or ordered.max() >= n_rows:
                raise InputError(
                    path,
                    f"{subject} {sentence}: row {int(ordered.max())} is outside "
                    f"data_verts.npy ({n_rows} rows)",
                )
            rows[_names(path, subject, sentence)] = ordered
    if not rows:
        raise InputError(path, "lists no sequences")
    return rows


def _names(path: Path, subject: Any, sentence: Any) -> tuple[str, str]:
    """The clip's files are named ``{subject}_{sentence}``: both must make a file name."""
    subject, sentence = (
        k.decode("latin-1") if isinstance(k, bytes) else str(k) for k in (subject, sentence)
    )
    try:
        clip_name(subject, sentence)
    except ValueError as error:
        raise InputError(path, str(error)) from None
    return subject, sentence


def _sample_rate(path: Path, subject: str, sentence: str, value: Any) -> int:
    """A whole, plausible sample rate, or an :class:`InputError` naming the clip."""
    try:
        rate = float(value)
    except (TypeError, ValueError, OverflowError):
        rate = math.nan
    if isinstance(value, bool) or not (
        math.isfinite(rate) and rate == int(rate) and 1000 <= rate <= 768_000
    ):
        raise InputError(path, f"{subject} {sentence}: bad sample rate {value!r}")
    return int(rate)


def _read_audio(path: Path, report: PrepareReport) -> dict[tuple[str, str], tuple[np.ndarray, int]]:
    """{(subject, sentence): (samples (S,) or (S, C), sample rate)}; empty clips are left out
    with a warning."""
    raw = _as_dict(load_pickle(path), path, "{subject: {sentence: {'audio', 'sample_rate'}}}")
    audio: dict[tuple[str, str], tuple[np.ndarray, int]] = {}
    for subject, sequences in raw.items():
        for sentence, entry in _as_dict(
            sequences, path, f"{{sentence: ...}} for {subject}"
        ).items():
            entry = _as_dict(entry, path, f"{{'audio', 'sample_rate'}} for {subject} {sentence}")
            if "audio" not in entry or "sample_rate" not in entry:
                raise InputError(path, f"{subject} {sentence}: needs 'audio' and 'sample_rate'")
            subject, sentence = _names(path, subject, sentence)
            samples = np.asarray(entry["audio"])
            if samples.ndim not in (1, 2) or not np.issubdtype(samples.dtype, np.number):
                raise InputError(
                    path, f"{subject} {sentence}: audio must be a 1-D or 2-D numeric array"
                )
            if samples.dtype not in (np.int16, np.int32, np.uint8, np.float32, np.float64):
                samples = samples.astype(np.float32)
            rate = _sample_rate(path, subject, sentence, entry["sample_rate"])
            if samples.size == 0:
                report.warn(f"{clip_name(subject, sentence)}: skipped, its audio is empty")
                continue
            finite_array(samples, path, f"{subject} {sentence}: the audio samples")
            audio[subject, sentence] = (samples, rate)
    return audio


def _read_regions(
    path: Path, options: VocasetOptions, n_vertices: int
) -> tuple[np.ndarray, np.ndarray]:
    masks = _as_dict(load_pickle(path), path, "{region name: vertex indices}")
    wanted = (options.lip_region, *options.upper_face_regions)
    absent = [name for name in wanted if name not in masks]
    if absent:
        raise InputError(
            path, f"has no region {', '.join(absent)} (it has: {', '.join(map(str, masks))})"
        )

    def indices(name: str) -> np.ndarray:
        array = np.asarray(masks[name]).reshape(-1)
        if not np.issubdtype(array.dtype, np.integer) or array.size == 0:
            raise InputError(path, f"region {name!r} is not a list of vertex indices")
        if array.min() < 0 or array.max() >= n_vertices:
            raise InputError(
                path, f"region {name!r} refers to vertices outside 0..{n_vertices - 1}"
            )
        return array.astype(np.int64)

    lip = indices(options.lip_region)
    upper = np.unique(np.concatenate([indices(name) for name in options.upper_face_regions]))
    return lip, upper
