"""A small corpus of hostile and clumsy inputs, made on demand (nothing binary is committed).

Each function writes one file (or folder) at the path it is given and returns that path. The
tests of the error contract use them, and so does ``benchmarks/hostile_inputs.py``, which runs
them against every verb through the real command line.
"""

from __future__ import annotations

import io
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np
import soundfile

RATE = 16_000


def wav(path: Path, seconds: float = 1.0, *, rate: int = RATE, channels: int = 1) -> Path:
    """Speech-like noise: a 150 Hz buzz with a syllable envelope (PCM 16)."""
    t = np.arange(int(seconds * rate)) / rate
    signal = 0.3 * np.sign(np.sin(2 * np.pi * 150 * t)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))
    samples = np.repeat(signal[:, None], channels, axis=1) if channels > 1 else signal
    soundfile.write(str(path), samples.astype(np.float32), rate, subtype="PCM_16")
    return path


def short_wav(path: Path, milliseconds: float = 3.0) -> Path:
    """A valid wav far shorter than one mesh frame."""
    return wav(path, milliseconds / 1000)


def truncated_wav(path: Path, keep: int = 30) -> Path:
    """The first ``keep`` bytes of a 0.1 s wav: 30 stops the header in its format chunk; 64
    keeps the header and 10 samples (a download cut short)."""
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros(1600, np.float32), RATE, format="WAV", subtype="PCM_16")
    path.write_bytes(buffer.getvalue()[:keep])
    return path


def lying_wav(path: Path, claimed_bytes: int = 2**31 - 64, samples: int = 1600) -> Path:
    """A PCM wav whose header claims ``claimed_bytes`` of samples (2 GiB) but holds
    ``samples`` (0.1 s)."""
    data = (np.zeros(samples, np.int16)).tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, RATE, RATE * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data"
    body += struct.pack("<I", claimed_bytes) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", min(claimed_bytes + 36, 2**32 - 1)) + body)
    return path


def text_file(path: Path, text: str = "this is not what it claims to be\n") -> Path:
    path.write_text(text)
    return path


def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def garbage(path: Path, size: int = 4096, seed: int = 0) -> Path:
    path.write_bytes(np.random.default_rng(seed).bytes(size))
    return path


def motion(path: Path, n_vertices: int, frames: int = 5, *, nan: bool = False) -> Path:
    """A (T, V, 3) float32 motion; with ``nan`` one value is NaN."""
    rng = np.random.default_rng(1)
    array = rng.normal(0, 0.01, (frames, n_vertices, 3)).astype(np.float32)
    if nan:
        array[frames // 2, n_vertices // 2, 1] = np.nan
    np.save(path, array)
    return path


def object_npy(path: Path) -> Path:
    """An .npy of Python objects (needs pickle to load)."""
    np.save(path, np.array([{"a": 1}, "text"], dtype=object), allow_pickle=True)
    return path


def huge_header_npy(path: Path, values: int = 10**10) -> Path:
    """An .npy whose header claims ``values`` float32 values (40 GB) and holds 100 bytes."""
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f4", "fortran_order": False, "shape": (values,)}
        )
        f.write(b"\0" * 100)
    return path


def bytearray_bomb(path: Path, size: int = 64 * 2**30) -> Path:
    """A 56-byte pickle asking for a 64 GiB ``bytearray`` (only allow-listed names)."""
    path.write_bytes(
        b"\x80\x02c__builtin__\nbytearray\n" + b"\x8a\x06" + size.to_bytes(6, "little") + b"\x85R."
    )
    return path


def code_pickle(path: Path) -> Path:
    """A pickle that would run ``os.system`` when loaded with plain pickle."""
    path.write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
    return path


def empty_array_pickle(path: Path) -> Path:
    """A legitimate protocol-2 pickle (as Python 3 writes it) holding an empty float array."""
    with open(path, "wb") as f:
        pickle.dump({"a": np.zeros((0, 3), np.float32)}, f, protocol=2)
    return path


def yaml_bomb(path: Path, levels: int = 24) -> Path:
    """A billion-laughs YAML: 2**levels leaves from a few hundred bytes."""
    lines = ["a0: &a0 [lol, lol]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, levels)]
    lines.append(f"model: *a{levels - 1}")
    path.write_text("\n".join(lines) + "\n")
    return path


def tgz_bomb(path: Path, member_bytes: int = 2**30, name: str = "frame_000.vl") -> Path:
    """A gzip tar whose one ``.vl`` member is ``member_bytes`` of zeros (about 1 MB packed)."""

    class Zeros(io.RawIOBase):
        def __init__(self, n):
            self.left = n

        def readable(self):
            return True

        def readinto(self, buffer):
            n = min(len(buffer), self.left)
            buffer[:n] = b"\0" * n
            self.left -= n
            return n

    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        info = tarfile.TarInfo(name)
        info.size = member_bytes
        archive.addfile(info, io.BufferedReader(Zeros(member_bytes), 1 << 20))
    return path


def dataset(root: Path, *, n_vertices: int = 8, clips: int = 2, seconds: float = 0.5) -> Path:
    """A tiny prepared dataset (docs/data-format.md): subject ``s``, sentences ``a``, ``b``…,
    all in the ``test`` split, on a mesh of ``n_vertices`` vertices."""
    from selftalk.data.layout import DatasetWriter

    rng = np.random.default_rng(2)
    template = rng.normal(0, 0.1, (n_vertices, 3)).astype(np.float32)
    writer = DatasetWriter(root, name="tiny", fps=30)
    sentences = [chr(ord("a") + i) for i in range(clips)]
    frames = int(seconds * 30)
    for sentence in sentences:
        audio = rng.normal(0, 0.1, int(seconds * RATE)).astype(np.float32)
        offsets = rng.normal(0, 0.001, (frames, n_vertices, 3)).astype(np.float32)
        writer.write_clip("s", sentence, audio=audio, sample_rate=RATE, vertices=template + offsets)
    writer.write_templates({"s": template})
    faces = np.array([[i, i + 1, i + 2] for i in range(n_vertices - 2)])
    writer.write_mesh(template, faces)
    writer.write_regions(lip=np.arange(min(4, n_vertices)), upper_face=np.arange(n_vertices)[-2:])
    writer.write_splits({"test": {"s": sentences}})
    writer.finish()
    return root


def head_mesh(path: Path, n_lat: int = 16, n_lon: int = 24) -> Path:
    """A closed ellipsoid (.ply or .obj), face towards +z: a stand-in head for render/export."""
    from selftalk.mesh import write_mesh

    lat = np.linspace(0.0, np.pi, n_lat)
    lon = np.linspace(0.0, 2 * np.pi, n_lon, endpoint=False)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    vertices = np.stack(
        [np.sin(la) * np.sin(lo) * 0.08, np.cos(la) * 0.11, np.sin(la) * np.cos(lo) * 0.09], -1
    ).reshape(-1, 3)
    faces = []
    for i in range(n_lat - 1):
        for j in range(n_lon):
            a, b = i * n_lon + j, i * n_lon + (j + 1) % n_lon
            faces += [(a, a + n_lon, b), (b, a + n_lon, b + n_lon)]
    write_mesh(path, vertices.astype(np.float32), np.asarray(faces))
    return path


def model_dir(path: Path, *, seed: int = 0) -> Path:
    """A tiny random selftalk model directory (64 vertices) with a mesh and one template."""
    import torch

    from selftalk.config import tiny
    from selftalk.data.layout import write_templates
    from selftalk.mesh import write_mesh
    from selftalk.models.selftalk import SelfTalk

    torch.manual_seed(seed)
    config = tiny().model
    model = SelfTalk(config, torch.arange(config.n_lip_vertices) * 3)
    model.save_pretrained(path)
    rng = np.random.default_rng(seed)
    template = rng.normal(0, 0.1, (config.n_vertices, 3)).astype(np.float32)
    faces = np.array([[i, i + 1, i + 2] for i in range(config.n_vertices - 2)])
    write_mesh(path / "mesh.ply", template, faces)
    write_templates(path / "templates.npz", {"s": template})
    return path


def raw_vocaset(
    root: Path,
    *,
    subject: str = "FaceTalk_A_TA",
    sentence: str = "sentence01",
    sample_rate: object = 22_000,
    audio_samples: int = 22_000,
    n_vertices: int = 6,
    frames: int = 12,
) -> Path:
    """A tiny raw VOCASET release (data_verts.npy and the three pickles), one clip; the
    keyword arguments make it hostile (a subject name with a slash, a rate of "fast"…)."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    np.save(root / "data_verts.npy", rng.normal(0, 0.1, (frames, n_vertices, 3)).astype(np.float32))
    index = {subject: {sentence: {i: i for i in range(frames)}}}
    audio = {
        subject: {
            sentence: {
                "audio": rng.normal(0, 0.1, audio_samples).astype(np.float32),
                "sample_rate": sample_rate,
            }
        }
    }
    templates = {subject: rng.normal(0, 0.1, (n_vertices, 3))}
    for name, obj in (
        ("subj_seq_to_idx.pkl", index),
        ("raw_audio_fixed.pkl", audio),
        ("templates.pkl", templates),
    ):
        with open(root / name, "wb") as f:
            pickle.dump(obj, f, protocol=2)
    return root
