#!/usr/bin/env python3
"""Copy a trained SelfTalk run into the package (selftalk/assets/model/).

    python scripts/package_bundled_model.py --run runs/bundled --ears-window 16 0

Weights are stored in float16 (they load as float32); the model directory also gets the
topology (mesh.ply, templates.npz, regions/) so `selftalk animate` needs nothing else. The
phoneme recognizer the model hears through is not copied: it ships in the hama wheel, and the
model's config.json names it (`model.animator.ears`). ``--ears-window LEFT RIGHT`` sets the
recognizer context the packaged model hears with (frames before and after each window; training
may have used more): a stream waits for the right context, and computes both for every block.
``--smoothing TAPS`` sets the output low-pass the packaged model animates with
(``model.animator.smoothing``; chosen on held-out data, training does not use it).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from safetensors.torch import load_file, save_file

ASSETS = Path(__file__).resolve().parents[1] / "src" / "selftalk" / "assets"


def half(src: Path, dst: Path) -> int:
    """Copy a safetensors file with floating tensors in float16; returns the bytes written."""
    state = load_file(str(src))
    state = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in state.items()}
    dst.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(dst), metadata={"format": "pt"})
    return dst.stat().st_size


def package(
    run: Path, checkpoint: str, out: Path, ears_window=None, smoothing: int | None = None
) -> tuple[Path, int]:
    """Write the model of ``run``'s checkpoint to ``out``; returns its source and weight bytes."""
    from selftalk.training.checkpoint import checkpoint_path
    from selftalk.training.run import copy_topology

    model_src = checkpoint_path(run, checkpoint) / "model"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    config = json.loads((model_src / "config.json").read_text())
    if ears_window:
        ears = config["model"]["animator"]["ears"]
        ears["left_context"], ears["right_context"] = ears_window
    if smoothing is not None:
        config["model"]["animator"]["smoothing"] = smoothing
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    size = half(model_src / "model.safetensors", out / "model.safetensors")
    copy_topology(run, out)
    return model_src, size


def add_ears_window(parser: argparse.ArgumentParser, help: str) -> None:
    """``--ears-window LEFT RIGHT``: the recognizer windows a run is packaged with;
    ``--smoothing TAPS``: the output low-pass it animates with."""
    parser.add_argument("--ears-window", nargs=2, type=int, metavar=("LEFT", "RIGHT"), help=help)
    parser.add_argument(
        "--smoothing",
        type=int,
        metavar="TAPS",
        help="binomial low-pass taps over output frames (odd; default: the run's, 1 = none)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, type=Path, help="training run (best checkpoint)")
    parser.add_argument("--checkpoint", default="best", choices=("best", "latest"))
    add_ears_window(
        parser, "recognizer context frames before and after each window (default: the run's)"
    )
    parser.add_argument("--out", type=Path, default=ASSETS / "model", help="model directory")
    args = parser.parse_args()
    src, size = package(args.run, args.checkpoint, args.out, args.ears_window, args.smoothing)
    print(f"packaged {src} into {args.out} ({size / 1e6:.1f} MB of weights)")


if __name__ == "__main__":
    main()
