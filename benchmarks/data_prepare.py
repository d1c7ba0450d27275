"""Speed of dataset preparation and loading at the real datasets' sizes (synthetic content).

    python benchmarks/data_prepare.py [--frames 100] [--clips 8] [--out FILE]

BIWI: a 23370-vertex topology (46k triangles), .vl frames in a tar, an FLV with audio;
measures `prepare biwi` per frame. VOCASET: 5023 vertices at 60 fps in a memory-mapped
data_verts.npy, 22 kHz int16 audio in pickles; measures `prepare vocaset` per clip, then
TalkingFaceDataset loading per clip (decode + resample to 16 kHz + every 2nd frame), cold
and from the in-memory cache. Prints the numbers and writes them as JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import pickle
import platform
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

# the data tests' fakes, reused rather than copied (pytorch3d's benchmarks do the same)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "data"))
from raw_release_fakes import grid_mesh, write_flv  # noqa: E402


def bench_biwi(root: Path, frames: int) -> dict:
    from selftalk.data.biwi import BiwiOptions, prepare_biwi

    raw = root / "biwi_raw"
    vertices, faces = grid_mesh(123, 190)  # 23370 vertices, as BIWI
    (raw / "faces/F2").mkdir(parents=True)
    (raw / "rigid_scans").mkdir()
    (raw / "videos").mkdir()
    lines = [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in vertices * 30]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]
    (raw / "rigid_scans/F2.obj").write_text("\n".join(lines) + "\n")
    rng = np.random.default_rng(1)
    for sentence in ("e01", "e02"):
        with tarfile.open(raw / f"faces/F2/{sentence}.tar", "w") as archive:
            for i in range(frames):
                frame = (vertices * 30 + rng.normal(0, 0.5, vertices.shape)).astype("<f4")
                data = len(frame).to_bytes(4, "little") + frame.tobytes()
                info = tarfile.TarInfo(f"{sentence}/frame_{i + 1:03d}.vl")
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        write_flv(raw / f"videos/F2_{sentence}.flv", seconds=frames / 25, frequency=220)
    start = time.perf_counter()
    prepare_biwi(raw, root / "biwi", BiwiOptions(progress=False))
    seconds = time.perf_counter() - start
    return {
        "frames": 2 * frames,
        "seconds": round(seconds, 3),
        "ms_per_frame": round(1000 * seconds / (2 * frames), 2),
    }


def bench_vocaset(root: Path, clips: int) -> dict:
    from selftalk.data.dataset import TalkingFaceDataset
    from selftalk.data.vocaset import VocasetOptions, prepare_vocaset

    raw = root / "voca_raw"
    raw.mkdir()
    rng = np.random.default_rng(2)
    frames = 240  # 4 s at 60 fps, a typical VOCASET sentence
    verts = np.lib.format.open_memmap(
        raw / "data_verts.npy", mode="w+", dtype=np.float32, shape=(clips * frames, 5023, 3)
    )
    verts[:] = rng.standard_normal(verts.shape, dtype=np.float32)
    verts.flush()
    del verts
    index, audio = {}, {}
    for i in range(clips):
        sentence = f"sentence{i + 1:02d}"
        index.setdefault("FaceTalk_170728_03272_TA", {})[sentence] = {
            f: i * frames + f for f in range(frames)
        }
        samples = (rng.standard_normal(22000 * 4) * 3000).astype(np.int16)
        audio.setdefault("FaceTalk_170728_03272_TA", {})[sentence] = {
            "audio": samples,
            "sample_rate": 22000,
        }
    for name, obj in (
        ("subj_seq_to_idx.pkl", index),
        ("raw_audio_fixed.pkl", audio),
        ("templates.pkl", {"FaceTalk_170728_03272_TA": np.zeros((5023, 3))}),
    ):
        (raw / name).write_bytes(pickle.dumps(obj, protocol=2))
    start = time.perf_counter()
    prepare_vocaset(raw, root / "vocaset", VocasetOptions(progress=False))
    prepare_s = time.perf_counter() - start

    dataset = TalkingFaceDataset(root / "vocaset", cache=True)
    start = time.perf_counter()
    for i in range(len(dataset)):
        dataset[i]
    cold = (time.perf_counter() - start) / len(dataset)
    start = time.perf_counter()
    for i in range(len(dataset)):
        dataset[i]
    cached = (time.perf_counter() - start) / len(dataset)
    return {
        "clips": clips,
        "prepare_seconds": round(prepare_s, 3),
        "prepare_ms_per_clip": round(1000 * prepare_s / clips, 1),
        "load_ms_per_clip": round(1000 * cold, 1),
        "load_cached_ms_per_clip": round(1000 * cached, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--frames", type=int, default=100, help="BIWI frames per sentence (2 sentences)"
    )
    parser.add_argument("--clips", type=int, default=8, help="VOCASET clips of 4 s")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/data.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "machine": {
                "cpu": platform.processor() or platform.machine(),
                "python": platform.python_version(),
            },
            "biwi": bench_biwi(Path(tmp), args.frames),
            "vocaset": bench_vocaset(Path(tmp), args.clips),
        }
    print(json.dumps(results, indent=2))
    from selftalk.io import write_json

    write_json(args.out, results)


if __name__ == "__main__":
    main()
