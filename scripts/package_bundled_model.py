#!/usr/bin/env python3
"""Copy a trained SelfTalk run into the package (selftalk/assets/model/).

    python scripts/package_bundled_model.py --run runs/bundled

Weights are stored in float16 (they load as float32); the model directory also gets the
topology (mesh.ply, templates.npz, regions/) so `selftalk animate` needs nothing else. The
phoneme recognizer the model hears through is not copied: it ships in the hama wheel, and the
model's config.json names it (`model.animator.ears`).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, type=Path, help="training run (best checkpoint)")
    parser.add_argument("--checkpoint", default="best", choices=("best", "latest"))
    args = parser.parse_args()

    from selftalk.training.checkpoint import checkpoint_path
    from selftalk.training.run import copy_topology

    model_src = checkpoint_path(args.run, args.checkpoint) / "model"
    model_dst = ASSETS / "model"
    shutil.rmtree(model_dst, ignore_errors=True)
    shutil.rmtree(ASSETS / "recognizer", ignore_errors=True)  # the previous model's teacher
    model_dst.mkdir(parents=True)
    config = json.loads((model_src / "config.json").read_text())
    (model_dst / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    size = half(model_src / "model.safetensors", model_dst / "model.safetensors")
    copy_topology(args.run, model_dst)
    print(f"packaged {model_src} into {model_dst} ({size / 1e6:.1f} MB of weights)")


if __name__ == "__main__":
    main()
