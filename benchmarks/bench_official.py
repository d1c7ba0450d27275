"""Compare an imported official checkpoint with predictions of the release's own code, and time it.

The release's predictions are made outside this project (its code is CC BY-NC and is never part
of it): run its ``predict`` on the clips and save, in one reference directory,

    reference.json   {"dataset": ..., "template": "template.npy", "clips": [
                        {"name": ..., "wav": "x.wav", "prediction": "x.pred.npy",
                         "logits": "x.logits.npy" (optional),
                         "release_predict_s": [seconds, ...] (optional)}, ...]}
    template.npy     (V, 3) the template given to ``predict``
    x.wav            the audio (any rate; it is resampled to 16 kHz and normalised here)
    x.pred.npy       (T, V, 3) the vertices the release predicted

then import the same checkpoint (``selftalk import-official``) and run

    python benchmarks/bench_official.py MODEL_DIR REFERENCE_DIR [--threads 2] [--repeats 3]

It prints, per clip, the max abs vertex difference (and of the lip reader's logits, when the
reference has them) and the time of our inference (animator only, min over repeats) beside the
release's ``predict`` time (which also runs the lip reader), and writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from selftalk.audio import load_audio, normalize
from selftalk.io import write_json
from selftalk.models.selftalk import SelfTalk


def time_min(fn, repeats: int) -> tuple[float, object]:
    """Min wall time of ``repeats`` calls (the CPU is shared: the min is the least disturbed)."""
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


@torch.no_grad()
def lip_logits(model: SelfTalk, audio: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
    """(T_r, U) lip-reader logits for one clip, the recognizer's frame count taken as the
    release's ``predict`` takes it: ``int(T / fps * audio_rate)``."""
    out = model.animator(audio[None], template[None])
    frames = int(out.frame_lengths[0])
    target = int(frames / float(model.config.fps) * model.animator.audio_rate)
    lips = model.lip_reader(out.offsets, out.frame_lengths, torch.tensor([target]))
    return lips.logits[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="model directory written by selftalk import-official")
    parser.add_argument("reference", help="directory with reference.json and the release's outputs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("-o", "--output", default="benchmarks/results/official.json")
    parser.add_argument("--name", help="key of this run in the JSON (default: the dataset)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    ref_dir = Path(args.reference)
    reference = json.loads((ref_dir / "reference.json").read_text())
    model = SelfTalk.from_pretrained(args.model).eval()
    template = torch.from_numpy(np.load(ref_dir / reference["template"])).float()
    rows = []
    for clip in reference["clips"]:
        audio = torch.from_numpy(normalize(load_audio(ref_dir / clip["wav"])))
        expected = np.load(ref_dir / clip["prediction"])
        ours_s, motion = time_min(lambda audio=audio: model.predict(audio, template), args.repeats)
        motion = motion.numpy()
        if motion.shape != expected.shape:
            raise SystemExit(
                f"{clip['name']}: we predict {motion.shape}, the release {expected.shape}"
            )
        row = {
            "clip": clip["name"],
            "seconds": len(audio) / 16_000,
            "frames": int(motion.shape[0]),
            "max_abs_vertex_diff": float(np.abs(motion - expected).max()),
            "max_abs_vertex": float(np.abs(expected).max()),
            "ours_inference_s": ours_s,
        }
        if clip.get("logits"):
            logits = lip_logits(model, audio, template).numpy()
            row["max_abs_lip_logit_diff"] = float(
                np.abs(logits - np.load(ref_dir / clip["logits"])).max()
            )
        if clip.get("release_predict_s"):
            row["release_predict_s"] = float(min(clip["release_predict_s"]))
            row["speedup"] = row["release_predict_s"] / ours_s
        rows.append(row)
        print(
            " ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
            ),
            flush=True,
        )

    output = Path(args.output)
    results = json.loads(output.read_text()) if output.is_file() else {}
    results[args.name or reference.get("dataset", "run")] = {
        "threads": args.threads,
        "repeats": args.repeats,
        "torch": torch.__version__,
        "weights": "random (all tensors), full size",
        "clips": rows,
    }
    write_json(output, results)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
