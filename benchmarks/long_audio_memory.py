"""Peak memory of long audio to ARKit curves: ``selftalk animate LONG.wav -o LONG.csv``.

    python benchmarks/long_audio_memory.py [--minutes 1 2 10] [--src SRC] [--label NAME]
                                           [--out FILE] [--max-as-gb 12]

Runs the real command line (bundled model) on speech-like audio of each length and records
the peak resident memory of that process (``wait4``) and its wall time. ``--src`` measures
another checkout's ``src`` (e.g. the commit before a fix); results of several labels
accumulate in the JSON file. Memory should grow with the motion the audio makes (the (T, V, 3)
float32 vertices: 98 MB a minute for the bundled 4538-vertex head at 30 fps), not faster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def speech_like(path: Path, minutes: float, rate: int = 16_000) -> None:
    """A buzz with a syllable envelope, written a minute at a time (PCM 16)."""
    import soundfile

    with soundfile.SoundFile(str(path), "w", samplerate=rate, channels=1, subtype="PCM_16") as f:
        for m in range(int(np.ceil(minutes))):
            seconds = min(60.0, minutes * 60 - m * 60)
            t = m * 60 + np.arange(int(seconds * rate)) / rate
            pitch = 120 + 30 * np.sin(2 * np.pi * 0.3 * t)
            f.write(0.3 * np.sin(2 * np.pi * pitch * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)))


def measure(src: Path, audio: Path, out: Path, max_as_gb: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (max_as_gb << 30, max_as_gb << 30))

    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "selftalk", "animate", str(audio), "-o", str(out)],
            env=env, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=limit,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-1:]
    code = os.waitstatus_to_exitcode(status)
    return {
        "exit": code,
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "seconds": round(time.perf_counter() - start, 1),
        "csv_rows": sum(1 for _ in open(out)) - 1 if code == 0 and out.exists() else None,
        "error": tail[0][:200] if code != 0 and tail else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 2, 10])
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    parser.add_argument("--label", default="this checkout")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/long_audio_memory.json"
    )
    parser.add_argument(
        "--max-as-gb", type=int, default=12, help="address-space limit of each run (GiB)"
    )
    args = parser.parse_args()
    runs = {}
    with tempfile.TemporaryDirectory(prefix="selftalk-long-") as tmp:
        for minutes in args.minutes:
            audio = Path(tmp) / f"{minutes:g}min.wav"
            speech_like(audio, minutes)
            result = measure(args.src.resolve(), audio, Path(tmp) / "out.csv", args.max_as_gb)
            runs[f"{minutes:g} min"] = result
            print(f"{args.label}: {minutes:g} min of audio → .csv: {result}")
    report = json.loads(args.out.read_text()) if args.out.exists() else {}
    report.update(
        benchmark="long_audio_memory",
        command="selftalk animate LONG.wav -o LONG.csv (bundled model)",
        machine={"platform": platform.platform(), "cpus": os.cpu_count()},
    )
    report.setdefault("runs", {})[args.label] = runs
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"→ {args.out}")


if __name__ == "__main__":
    main()
