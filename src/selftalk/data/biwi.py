"""BIWI 3D Audiovisual Corpus, from its raw folders to the processed layout, in pure Python.

The release has three folders:

- ``faces/{subject}/{sentence}.tar`` (or ``.tgz``, ``.tar.gz``, or an extracted folder
  ``faces/{subject}/{sentence}/``): one binary ``.vl`` file a frame at 25 fps, a vertex count
  then count × 3 float32 (x, y, z); the count is 4 or 8 bytes wide depending on the machine
  that wrote it, so it is recognised by the file size (4 + 12·N or 8 + 12·N bytes);
- ``rigid_scans/{subject}.obj``: each subject's neutral template (23370 vertices);
- ``videos/{subject}_{sentence}.flv``: a rendering with the original 44.1 kHz audio, which is
  decoded with PyAV (FFmpeg) and stored unchanged in rate and channels as 16-bit WAV, as
  ``ffmpeg -i x.flv x.wav`` does in CodeTalker's ``video2audio.py``.

Every mesh, each frame and each template on its own, is normalised as CodeTalker's Matlab
preprocessing does (``creatDataset_BIWI.m``, ``process_BIWI_template.m``): rotate by π about
x (y and z change sign), subtract the mesh's vertex mean, divide by the square root of the
mesh's total surface area, computed on the subject template's triangles. (Matlab sums mixed
Voronoi vertex areas, which add up exactly to the triangle areas summed here.)

Archives are read member by member in memory; nothing is extracted to disk, so member names
such as ``../x`` cannot write outside the output directory.
"""

from __future__ import annotations

import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.data.layout import (
    LIP_REGION_NAME,
    UPPER_FACE_REGION_NAME,
    DatasetWriter,
    clip_name,
    frame_step,
)
from selftalk.data.report import PrepareReport, progress
from selftalk.data.splits import biwi_splits, restrict_splits
from selftalk.errors import InputError

FPS = 25
ARCHIVE_SUFFIXES = (".tar", ".tgz", ".tar.gz")


@dataclass(frozen=True, kw_only=True)
class BiwiOptions:
    """Options of :func:`prepare_biwi`.

    Attributes:
        fps: frame rate models train at (BIWI is stored and used at 25 fps).
        regions: a folder with ``lve.txt`` (lips) and ``fdd.txt`` (upper face), the
            comma-separated index files of CodeTalker's ``BIWI/regions``.
        overwrite: rewrite clip files that exist (default: skip them).
        progress: show a progress bar on stderr.
    """

    fps: float = FPS
    regions: Path | None = None
    overwrite: bool = False
    progress: bool = True


# --------------------------------------------------------------------------- .vl frames


def parse_vl(data: bytes, source: str | Path = ".vl") -> np.ndarray:
    """One ``.vl`` frame → (N, 3) float32 vertex positions.

    The header is a little-endian vertex count of 4 or 8 bytes (Matlab's ``'ulong'`` is
    either); the width is the one for which the file size is exactly header + 12·N bytes.
    """
    if len(data) < 4:
        raise InputError(source, f"a .vl file needs at least 4 bytes, this one has {len(data)}")
    count = int.from_bytes(data[:4], "little")
    if len(data) == 4 + 12 * count:
        header = 4
    elif len(data) == 8 + 12 * count and data[4:8] == b"\0\0\0\0":
        header = 8
    else:
        raise InputError(
            source,
            f"{len(data)} bytes do not hold the {count} vertices the header announces "
            f"(expected {4 + 12 * count} or {8 + 12 * count} bytes)",
        )
    if count == 0:
        raise InputError(source, "the frame has no vertices")
    return np.frombuffer(data, dtype="<f4", count=3 * count, offset=header).reshape(count, 3).copy()


def _natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


#: An archive's ``.vl`` members may unpack to at most this many times its size (plus 64 MiB):
#: vertex frames barely compress, while a crafted archive of zeros unpacks 1000-fold.
MAX_INFLATION = 32


def read_sequence(source: Path) -> np.ndarray:
    """All frames of one sentence, in frame-number order: (T, N, 3) float32.

    ``source`` is a folder of ``.vl`` files or a tar archive (plain or gzip) holding them.
    Frames are parsed one at a time as they are read (memory: the sequence and one frame);
    an archive whose members claim more than :data:`MAX_INFLATION` times its size is refused
    before they are read.
    """
    frames: list[tuple[str, np.ndarray]] = []

    def add(name: str, data: bytes) -> None:
        frame = parse_vl(data, f"{source}:{name}")
        if frames and len(frame) != len(frames[0][1]):
            counts = sorted({len(frame), len(frames[0][1])})
            raise InputError(source, f"frames with different vertex counts: {counts}")
        frames.append((name, frame))

    if source.is_dir():
        for path in source.rglob("*.vl"):
            if path.is_file():
                add(path.name, path.read_bytes())
    else:
        budget = source.stat().st_size * MAX_INFLATION + (64 << 20)
        try:
            with tarfile.open(source, mode="r:*") as archive:
                for member in archive:
                    if not (member.isfile() and member.name.lower().endswith(".vl")):
                        continue
                    budget -= member.size
                    if budget < 0:
                        raise InputError(
                            source,
                            f"its .vl frames unpack to more than {MAX_INFLATION} times the "
                            f"archive's size ({member.name} alone claims {member.size:,} bytes)",
                        )
                    data = archive.extractfile(member)
                    if data is not None:
                        add(Path(member.name).name, data.read(member.size))
        except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
            raise InputError(source, f"not a readable tar archive ({error})") from None
    if not frames:
        raise InputError(source, "holds no .vl frames")
    frames.sort(key=lambda item: _natural_key(item[0]))
    out = np.empty((len(frames), *frames[0][1].shape), np.float32)
    for i in range(len(frames)):
        out[i] = frames[i][1]
        frames[i] = (frames[i][0], None)  # release each frame once copied
    return out


def sequence_sources(subject_dir: Path) -> dict[str, list[Path]]:
    """{sentence: candidate sources} in one subject folder of ``faces/``.

    A sentence may come as a folder, ``.tar``, ``.tgz`` or ``.tar.gz`` (the release has a
    ``.tar`` and a ``.tgz`` per sentence); candidates are listed in that order and the first
    that holds ``.vl`` frames is used.
    """
    found: dict[str, list[Path]] = {}
    for path in sorted(subject_dir.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            found.setdefault(path.name, []).insert(0, path)
            continue
        lower = path.name.lower()
        for suffix in ARCHIVE_SUFFIXES:
            if lower.endswith(suffix):
                found.setdefault(path.name[: -len(suffix)], []).append(path)
                break
    rank = {".tar": 1, ".tgz": 2, ".gz": 3}
    return {
        sentence: sorted(paths, key=lambda p: 0 if p.is_dir() else rank.get(p.suffix.lower(), 4))
        for sentence, paths in sorted(found.items())
    }


def _read_first_source(sources: list[Path]) -> np.ndarray:
    errors = []
    for source in sources:
        try:
            return read_sequence(source)
        except InputError as error:
            errors.append(error)
    if len(errors) == 1:
        raise errors[0]
    raise InputError(sources[0].parent, "; ".join(str(e) for e in errors))


# --------------------------------------------------------------------------- normalisation


def surface_area(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Total area of the triangles: Σ ½‖(b − a) × (c − a)‖ over faces (F, 3)."""
    v = np.asarray(vertices, dtype=np.float64)
    a, b, c = v[faces[:, 0]], v[faces[:, 1]], v[faces[:, 2]]
    return float(0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1).sum())


def normalize_mesh(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """BIWI's per-mesh normalisation of (N, 3) vertices → (N, 3) float64.

    Rotate by π about x (y, z → −y, −z), subtract the vertex mean, divide by the square root
    of the total surface area (which rotation and translation leave unchanged).
    """
    v = np.asarray(vertices, dtype=np.float64) * np.array([1.0, -1.0, -1.0])
    v -= v.mean(axis=0)
    area = surface_area(v, faces)
    if not area > 0:
        raise ValueError("the mesh has zero surface area")
    return v / np.sqrt(area)


def normalize_sequence(frames: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(T, N, 3) frames, each normalised on its own → (T, N·3) float32."""
    out = np.empty((len(frames), frames.shape[1] * 3), dtype=np.float32)
    for t, frame in enumerate(frames):
        out[t] = normalize_mesh(frame, faces).reshape(-1)
    return out


# --------------------------------------------------------------------------- audio


def extract_audio(video: Path) -> tuple[np.ndarray, int]:
    """The first audio stream of a video file: ((S, C) int16 samples, sample rate)."""
    import av

    try:
        with av.open(str(video)) as container:
            if not container.streams.audio:
                raise InputError(video, "has no audio stream")
            stream = container.streams.audio[0]
            channels = stream.codec_context.channels or 1
            rate = stream.codec_context.sample_rate
            resampler = av.AudioResampler(
                format="s16", layout=stream.codec_context.layout.name, rate=rate
            )
            chunks = []
            for frame in container.decode(stream):
                chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except InputError:
        raise
    except Exception as error:  # FFmpeg reports damaged files in many ways
        raise InputError(video, f"cannot decode the audio ({error})") from None
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    if samples.size == 0:
        raise InputError(video, "the audio stream is empty")
    return samples.reshape(-1, channels), int(rate)


# --------------------------------------------------------------------------- prepare


def prepare_biwi(
    raw_dir: str | Path, out_dir: str | Path, options: BiwiOptions = BiwiOptions()
) -> PrepareReport:
    """Convert a BIWI release in ``raw_dir`` to the processed layout in ``out_dir``.

    A sentence whose frames or audio cannot be read is reported in ``report.failed`` and the
    run goes on; clip files that exist are skipped (unless ``options.overwrite``).
    """
    raw_dir = Path(raw_dir)
    report = PrepareReport(out_dir=Path(out_dir))
    frame_step(FPS, options.fps)  # an fps that does not divide 25: before anything
    faces_dir, scans_dir, videos_dir = (
        raw_dir / "faces",
        raw_dir / "rigid_scans",
        raw_dir / "videos",
    )
    if not raw_dir.is_dir():
        raise InputError(raw_dir, "no such directory")
    missing = [d.name for d in (faces_dir, scans_dir) if not d.is_dir()]
    if missing:
        raise InputError(raw_dir, f"not a BIWI release: missing the folder(s) {', '.join(missing)}")
    if not videos_dir.is_dir():
        raise InputError(
            raw_dir, "not a BIWI release: missing the folder videos (the audio is taken from it)"
        )

    subjects = sorted(
        p.name for p in faces_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    if not subjects:
        raise InputError(faces_dir, "holds no subject folders")
    templates, faces = _read_templates(scans_dir, subjects)
    n_vertices = len(next(iter(templates.values())))
    lip, upper = _read_regions(options.regions, n_vertices) if options.regions else (None, None)

    writer = DatasetWriter(
        out_dir, name="biwi", fps=options.fps, file_fps=FPS, overwrite=options.overwrite
    )
    writer.write_templates(templates)
    reference = subjects[0]
    writer.write_mesh(np.mean(np.stack(list(templates.values())), axis=0), faces[reference])
    if lip is not None:
        writer.write_regions(lip=lip, upper_face=upper)
    else:
        report.warn(
            "no --regions: regions/lve.txt and fdd.txt not written "
            "(CodeTalker's BIWI/regions has them)"
        )

    work = [
        (s, q, sources) for s in subjects for q, sources in sequence_sources(faces_dir / s).items()
    ]
    complete = []
    for subject, sentence, sources in progress(
        work, total=len(work), desc="biwi", enabled=options.progress
    ):
        if "_" in sentence:
            report.warn(f"{subject}/{sources[0].name}: skipped, sentence names may not contain '_'")
            continue
        video = videos_dir / f"{subject}_{sentence}.flv"
        if not video.is_file():
            report.warn(
                f"{clip_name(subject, sentence)}: skipped, "
                f"no video {video.name} to take the audio from"
            )
            continue
        try:  # read both halves of the clip before writing either
            motion = audio = None
            if writer.needs_vertices(subject, sentence):
                frames = _read_first_source(sources)
                if frames.shape[1] != n_vertices:
                    raise InputError(
                        sources[0],
                        f"frames have {frames.shape[1]} vertices, the templates {n_vertices}",
                    )
                motion = normalize_sequence(frames, faces[subject])
            if writer.needs_audio(subject, sentence):
                audio = extract_audio(video)
        except InputError as error:
            report.fail(str(error))
            continue
        except ValueError as error:  # a frame of zero area
            report.fail(f"{clip_name(subject, sentence)}: {error}")
            continue
        if motion is not None:
            writer.write_vertices(subject, sentence, motion)
        if audio is not None:
            writer.write_audio(subject, sentence, *audio)
        report.count(motion is not None or audio is not None)
        complete.append(clip_name(subject, sentence))
    writer.write_splits(restrict_splits(biwi_splits(), complete))
    writer.finish(
        {"source": {"dataset": "BIWI", "normalisation": "rotate pi about x, centre, / sqrt(area)"}}
    )
    return report


def _read_templates(
    scans_dir: Path, subjects: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Normalised templates {subject: (N, 3)} and the triangles of each subject's OBJ."""
    from selftalk.mesh import read_mesh

    absent = [s for s in subjects if not (scans_dir / f"{s}.obj").is_file()]
    if absent:
        raise InputError(scans_dir, f"no template {', '.join(f'{s}.obj' for s in absent)}")
    templates, faces = {}, {}
    for subject in subjects:
        path = scans_dir / f"{subject}.obj"
        mesh = read_mesh(path)
        if len(mesh.faces) == 0:
            raise InputError(path, "the template has no triangles, so its surface area is unknown")
        try:
            templates[subject] = normalize_mesh(mesh.vertices, mesh.faces).astype(np.float32)
        except ValueError as error:
            raise InputError(path, str(error)) from None
        faces[subject] = mesh.faces
    counts = {len(t) for t in templates.values()}
    if len(counts) > 1:
        raise InputError(scans_dir, f"templates with different vertex counts: {sorted(counts)}")
    return templates, faces


def _read_regions(regions: Path, n_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    from selftalk.topology import read_indices

    # CodeTalker's BIWI/regions folder names its files as our regions/ folder does
    lip_path, upper_path = regions / LIP_REGION_NAME, regions / UPPER_FACE_REGION_NAME
    lip, upper = read_indices(lip_path), read_indices(upper_path)
    for path, indices in ((lip_path, lip), (upper_path, upper)):
        if indices.min() < 0 or indices.max() >= n_vertices:
            raise InputError(path, f"refers to vertices outside 0..{n_vertices - 1}")
    return lip, upper
