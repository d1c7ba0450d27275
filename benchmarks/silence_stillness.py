#!/usr/bin/env python3
"""Does the mouth keep still in silence? The lip gap's spread on the bundled example's speech
against its spread on the same length of silence (digital zeros, and noise at −80 and −60 dB
full scale). ``tests/inference/test_bundled_model.py`` asks the bundled model for 3 times as
much spread in speech as at −80 dB.

    python benchmarks/silence_stillness.py --model "shipped=src/selftalk/assets/model" \\
        --model "seed 1=runs/pkg-seed1" --out benchmarks/results/silence_stillness.json

Models are model directories (``scripts/package_bundled_model.py --out`` makes one from a
run). Prints a line per model and writes JSON: lip-gap standard deviations in mm.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile

from selftalk.io import write_json

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hello.wav"
NOISE_LEVELS = {"zeros": 0.0, "-80 dB": 1e-4, "-60 dB": 1e-3}


def stillness(model_dir: Path, speech: np.ndarray) -> dict[str, float]:
    """Lip-gap standard deviation (mm) on speech and on each kind of silence, and the ratios."""
    from selftalk.inference.loading import load_model
    from selftalk.inference.predict import predict_motion
    from selftalk.synth.head import lip_gap, load_head

    loaded, head = load_model(model_dir=model_dir), load_head()
    template = loaded.template()

    def spread_mm(audio: np.ndarray) -> float:
        return float(lip_gap(predict_motion(loaded.model, audio, template), head).std() * 1e3)

    rng = np.random.default_rng(0)
    out = {"speech": spread_mm(speech)}
    for name, level in NOISE_LEVELS.items():
        silence = (rng.normal(0, level, len(speech)) if level else np.zeros(len(speech))).astype(
            np.float32
        )
        out[name] = spread_mm(silence)
        out[f"speech / {name}"] = out["speech"] / out[name]
    return {k: round(v, 3) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", required=True, metavar="NAME=DIR")
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/silence_stillness.json")
    )
    args = parser.parse_args()
    speech, rate = soundfile.read(EXAMPLE, dtype="float32")
    assert rate == 16_000, f"{EXAMPLE}: expected 16 kHz"
    results = {}
    for spec in args.model:
        name, _, directory = spec.partition("=")
        results[name] = stillness(Path(directory), speech)
        print(name, results[name], flush=True)
    write_json(args.out, {"audio": EXAMPLE.name, "lip_gap_std_mm": results})


if __name__ == "__main__":
    main()
