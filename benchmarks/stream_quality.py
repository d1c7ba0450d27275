#!/usr/bin/env python3
"""What streaming costs in quality: held-out clips animated offline and streamed (20 ms chunks,
``--block`` seconds decided at a time), each scored against SynthTalk's reference motion
(lip error / best constant, mouth-opening r), and the stream against offline (mean vertex error
over mean motion, lip-gap correlation).

    python benchmarks/stream_quality.py --data data/synth \\
        --model "shipped (16/0)=src/selftalk/assets/model" --model "32/4=runs/pkg-32-4" \\
        --out benchmarks/results/stream_quality

Models are model directories (``scripts/package_bundled_model.py --ears-window`` makes one
with other recognizer windows). Writes ``OUT.json`` and ``OUT.md``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from bundled_model import SPLITS, mouth_scores, predict_trained

from selftalk.io import save_npy, write_json, write_text

CHUNK = 320  # 20 ms at 16 kHz


def predict_streamed(model_dir: Path, data: Path, split: str, block: float, out: Path) -> None:
    from selftalk.audio import load_audio
    from selftalk.data.layout import DatasetLayout
    from selftalk.inference.loading import load_model
    from selftalk.metrics.groundtruth import EvaluationData
    from selftalk.streaming import open_session

    layout, truth = DatasetLayout(data), EvaluationData(data)
    model = load_model(model_dir=model_dir).model
    for clip in truth.split_clips(split):
        audio = load_audio(layout.audio_path(clip))
        session = open_session(model, truth.template(clip), block=block)
        parts = [session.push(audio[i : i + CHUNK]) for i in range(0, len(audio), CHUNK)]
        save_npy(out / f"{clip}.npy", np.concatenate([*parts, session.flush()]))


def parity(streamed: Path, offline: Path, data: Path, split: str) -> dict:
    """Stream against offline: mean vertex error / mean motion, and lip-gap correlation."""
    from selftalk.metrics.groundtruth import EvaluationData
    from selftalk.synth.head import lip_gap, load_head

    head, truth = load_head(), EvaluationData(data)
    errors, motion, corr = [], [], []
    for clip in truth.split_clips(split):
        a, b = np.load(streamed / f"{clip}.npy"), np.load(offline / f"{clip}.npy")
        n = min(len(a), len(b))
        a, b, template = a[:n], b[:n], truth.template(clip)
        errors.append(np.linalg.norm(a - b, axis=-1).mean())
        motion.append(np.linalg.norm(b - template, axis=-1).mean())
        corr.append(float(np.corrcoef(lip_gap(a, head), lip_gap(b, head))[0, 1]))
    return {
        "vertex_error_vs_motion": float(np.mean(errors) / np.mean(motion)),
        "lip_gap_corr": float(np.mean(corr)),
    }


def markdown(results: dict) -> str:
    lines = [
        f"Streamed in 20 ms chunks, {results['block']} s blocks.",
        "",
        "| model | split | offline: lip error / best constant | r | streamed: lip error / "
        "best constant | r | stream vs offline: vertex error / motion | lip-gap r |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, splits in results["models"].items():
        for split, row in splits.items():
            off, st, par = row["offline"], row["streamed"], row["parity"]
            lines.append(
                f"| {name} | {split} | {off['lip_error_vs_constant']:.3f} | "
                f"{off['mouth_open_corr']:.3f} | {st['lip_error_vs_constant']:.3f} | "
                f"{st['mouth_open_corr']:.3f} | {par['vertex_error_vs_motion']:.3f} | "
                f"{par['lip_gap_corr']:.3f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--model", action="append", required=True, metavar="NAME=DIR")
    parser.add_argument("--block", type=float, default=0.1, help="seconds a pass decides")
    parser.add_argument("--splits", nargs="+", default=list(SPLITS))
    parser.add_argument("--out", required=True, type=Path, help="output stem (.json, .md)")
    args = parser.parse_args()

    results: dict = {"data": args.data.name, "block": args.block, "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.model:
            name, _, directory = spec.partition("=")
            rows = results["models"][name] = {}
            for split in args.splits:
                offline, streamed = Path(tmp) / name / split / "o", Path(tmp) / name / split / "s"
                predict_trained(Path(directory), args.data, split, offline, "latest")
                predict_streamed(Path(directory), args.data, split, args.block, streamed)
                rows[split] = {
                    "offline": mouth_scores(offline, args.data, split, None),
                    "streamed": mouth_scores(streamed, args.data, split, None),
                    "parity": parity(streamed, offline, args.data, split),
                }
                print(name, split, rows[split], flush=True)
    write_json(args.out.with_suffix(".json"), results)
    write_text(args.out.with_suffix(".md"), markdown(results))


if __name__ == "__main__":
    main()
