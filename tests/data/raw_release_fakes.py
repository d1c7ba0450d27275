"""Tiny fake VOCASET and BIWI releases, written in the exact formats of the real ones.

Each writer returns the raw data it wrote, so tests can compute the expected output
independently with numpy.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import python2_pickle

VOCA_TRAIN = "FaceTalk_170728_03272_TA"
VOCA_VAL = "FaceTalk_170811_03275_TA"
VOCA_TEST = "FaceTalk_170809_00138_TA"


def grid_mesh(rows: int = 4, cols: int = 5, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A bumpy rows×cols grid: vertices (rows·cols, 3) float64 and triangles (F, 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    z = 0.3 * rng.standard_normal((rows, cols))
    vertices = np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1)
    faces = []
    for r in range(rows - 1):
        for c in range(cols - 1):
            a, b, d, e = r * cols + c, r * cols + c + 1, (r + 1) * cols + c, (r + 1) * cols + c + 1
            faces += [(a, b, e), (a, e, d)]
    return vertices, np.asarray(faces, dtype=np.int64)


def write_ascii_ply(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    lines = [
        "ply",
        "format ascii 1.0",
        f"element vertex {len(vertices)}",
        "property float x",
        "property float y",
        "property float z",
        f"element face {len(faces)}",
        "property list uchar int vertex_indices",
        "end_header",
    ]
    lines += [f"{x:.8f} {y:.8f} {z:.8f}" for x, y, z in vertices]
    lines += [f"3 {a} {b} {c}" for a, b, c in faces]
    path.write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------- VOCASET


@dataclass
class FakeVocaset:
    root: Path
    verts: np.ndarray  # (N, V, 3) as in data_verts.npy
    index: dict  # subject → sentence → {frame: row}
    audio: dict  # subject → sentence → {"audio", "sample_rate"}
    templates: dict
    masks: dict
    faces: np.ndarray
    mesh_vertices: np.ndarray


def write_fake_vocaset(root: Path, *, n_vertices: int = 20, seed: int = 1) -> FakeVocaset:
    """Three subjects (one a split), two or three sentences each, rows of data_verts shuffled."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    clips = {
        VOCA_TRAIN: {"sentence01": 7, "sentence02": 5},
        VOCA_VAL: {"sentence21": 6, "sentence03": 4},
        VOCA_TEST: {"sentence40": 8},
    }
    total = sum(n for seqs in clips.values() for n in seqs.values())
    verts = rng.standard_normal((total, n_vertices, 3)).astype(np.float32)
    np.save(root / "data_verts.npy", verts)
    rows = rng.permutation(total)  # sequences are scattered over the array
    index, audio, cursor = {}, {}, 0
    for subject, sequences in clips.items():
        for sentence, frames in sequences.items():
            # frame numbers start at 1 and are stored out of order, as a Python 2 dict may be
            mapping = {frame + 1: int(rows[cursor + frame]) for frame in range(frames)}
            index.setdefault(subject, {})[sentence] = dict(reversed(list(mapping.items())))
            cursor += frames
            samples = (rng.standard_normal(int(22000 * frames / 60)) * 3000).astype(np.int16)
            audio.setdefault(subject, {})[sentence] = {"audio": samples, "sample_rate": 22000}
    # a clip with audio but no motion, which prepare must report
    audio[VOCA_TEST]["sentence39"] = {"audio": np.ones(2200, np.int16), "sample_rate": 22000}
    python2_pickle.dump(index, root / "subj_seq_to_idx.pkl", protocol=2)
    python2_pickle.dump(audio, root / "raw_audio_fixed.pkl", protocol=2)
    templates = {s: rng.standard_normal((n_vertices, 3)) for s in clips}  # float64, as released
    python2_pickle.dump(templates, root / "templates.pkl", protocol=2)
    masks = {
        "lips": np.array([7, 3, 5, 11], dtype=np.int64),  # order kept: models index with it
        "forehead": np.array([0, 1, 2], dtype=np.int64),
        "eye_region": np.array([2, 4, 6], dtype=np.int64),
        "nose": np.array([9], dtype=np.int64),
    }
    python2_pickle.dump(masks, root / "FLAME_masks.pkl", protocol=0)
    mesh_vertices, faces = grid_mesh(4, n_vertices // 4, seed=seed)
    write_ascii_ply(root / "FLAME_sample.ply", mesh_vertices, faces)
    return FakeVocaset(root, verts, index, audio, templates, masks, faces, mesh_vertices)


# --------------------------------------------------------------------------- BIWI


def vl_bytes(vertices: np.ndarray, count_bytes: int = 4) -> bytes:
    """A .vl frame: a little-endian vertex count of 4 or 8 bytes, then count×3 float32."""
    count = len(vertices).to_bytes(count_bytes, "little")
    return count + np.asarray(vertices, dtype="<f4").tobytes()


def _tar(path: Path, members: dict[str, bytes], mode: str) -> None:
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def write_flv(path: Path, *, seconds: float, frequency: float, rate: int = 44100) -> None:
    """An FLV with a small video stream and MP3 stereo audio (a sine), as BIWI's renderings."""
    import av

    t = np.arange(int(seconds * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
    stereo = np.stack([tone, tone])
    with av.open(str(path), "w", format="flv") as container:
        video = container.add_stream("flv", rate=25)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        audio = container.add_stream("libmp3lame", rate=rate, layout="stereo")
        for i in range(int(seconds * 25)):
            frame = av.VideoFrame.from_ndarray(
                np.full((32, 32, 3), 10 * i, np.uint8), format="rgb24"
            )
            frame.pts = i
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        size = audio.codec_context.frame_size or 1152
        for start in range(0, stereo.shape[1], size):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(stereo[:, start : start + size]),
                format="fltp",
                layout="stereo",
            )
            frame.sample_rate, frame.pts = rate, start
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)


@dataclass
class FakeBiwi:
    root: Path
    templates: dict  # subject → (N, 3) raw template vertices
    faces: np.ndarray
    frames: dict = field(default_factory=dict)  # (subject, sentence) → (T, N, 3) raw frames
    tones: dict = field(default_factory=dict)  # (subject, sentence) → sine frequency in the FLV


def write_fake_biwi(root: Path, *, seed: int = 2) -> FakeBiwi:
    """F2 (train) and M1 (unseen) with sentences stored in every way the release may hold them."""
    rng = np.random.default_rng(seed)
    base, faces = grid_mesh(4, 5, seed=seed)
    base = base * 40.0 + np.array([10.0, 200.0, -700.0])  # millimetres, far from the origin
    (root / "faces").mkdir(parents=True)
    (root / "rigid_scans").mkdir()
    (root / "videos").mkdir()
    fake = FakeBiwi(root, {}, faces)
    for subject in ("F2", "M1"):
        template = base + rng.normal(0, 1.0, base.shape)
        fake.templates[subject] = template
        lines = ["# rigid scan", "mtllib x.mtl"] + [
            f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in template
        ]
        lines += [f"vt {u:.3f} {v:.3f}" for u, v in rng.random((len(template), 2))]
        lines += [f"f {a + 1}/{a + 1} {b + 1}/{b + 1} {c + 1}/{c + 1}" for a, b, c in faces]
        (root / "rigid_scans" / f"{subject}.obj").write_text("\n".join(lines) + "\n")
        (root / "faces" / subject).mkdir()

    def frames_of(subject: str, count: int) -> np.ndarray:
        motion = rng.normal(0, 2.0, (count, *base.shape))
        return (fake.templates[subject][None] + motion).astype(np.float32)

    def add(subject: str, sentence: str, count: int, seconds: float | None = None) -> np.ndarray:
        frames = frames_of(subject, count)
        fake.frames[subject, sentence] = frames
        fake.tones[subject, sentence] = 300.0 + 100 * len(fake.tones)
        write_flv(
            root / "videos" / f"{subject}_{sentence}.flv",
            seconds=seconds or count / 25,
            frequency=fake.tones[subject, sentence],
        )
        return frames

    # F2 e01: .tar with a 4-byte count, next to a .tgz holding no .vl (as the release has both)
    frames = add("F2", "e01", 5)
    _tar(
        root / "faces/F2/e01.tar",
        {f"e01/frame_{i + 1:03d}.vl": vl_bytes(f, 4) for i, f in enumerate(frames)},
        "w",
    )
    _tar(root / "faces/F2/e01.tgz", {"e01/readme.txt": b"not frames"}, "w:gz")
    # F2 e37: .tgz only, 8-byte counts
    frames = add("F2", "e37", 4)
    _tar(
        root / "faces/F2/e37.tgz",
        {f"frame_{i + 1:03d}.vl": vl_bytes(f, 8) for i, f in enumerate(frames)},
        "w:gz",
    )
    # M1 e37: .tar.gz; M1 e38: an extracted folder with unpadded numbers (frame_2 before frame_10)
    frames = add("M1", "e37", 3)
    _tar(
        root / "faces/M1/e37.tar.gz",
        {f"e37/frame_{i + 1:03d}.vl": vl_bytes(f, 4) for i, f in enumerate(frames)},
        "w:gz",
    )
    frames = add("M1", "e38", 11)
    (root / "faces/M1/e38").mkdir()
    for i, f in enumerate(frames):
        (root / f"faces/M1/e38/frame_{i + 1}.vl").write_bytes(vl_bytes(f, 4))
    # a region folder as CodeTalker ships it: "a, b, c" without a final new line
    regions = root / "regions"
    regions.mkdir()
    (regions / "lve.txt").write_text("6, 7, 8, 11, 12, 13")
    (regions / "fdd.txt").write_text("0, 1, 2, 3, 4")
    return fake
