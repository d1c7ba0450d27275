#!/usr/bin/env python3
"""Copy a trained SelfTalk run and its recognizer into the package (selftalk/assets/).

    python scripts/package_bundled_model.py --run runs/bundled --recognizer recognizer

Weights are stored in float16 (they load as float32); the model directory also gets the
topology (mesh.ply, templates.npz, regions/) so `selftalk animate` needs nothing else.
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
    parser.add_argument("--recognizer", required=True, type=Path, help="train-recognizer output")
    parser.add_argument("--checkpoint", default="best", choices=("best", "latest"))
    args = parser.parse_args()

    from selftalk.training.checkpoint import checkpoint_path
    from selftalk.training.run import copy_topology

    model_src = checkpoint_path(args.run, args.checkpoint) / "model"
    model_dst, rec_dst = ASSETS / "model", ASSETS / "recognizer"
    for d in (model_dst, rec_dst):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    config = json.loads((model_src / "config.json").read_text())
    encoder = config["model"]["animator"]["encoder"]
    encoder["pretrained"], encoder["keep_layers"] = None, 0  # weights are in the file now
    (model_dst / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    size = half(model_src / "model.safetensors", model_dst / "model.safetensors")
    copy_topology(args.run, model_dst)
    for name in ("config.json", "vocab.json"):
        shutil.copy2(args.recognizer / name, rec_dst / name)
    size += half(args.recognizer / "model.safetensors", rec_dst / "model.safetensors")
    print(
        f"packaged {model_src} and {args.recognizer} into {ASSETS} ({size / 1e6:.1f} MB of weights)"
    )


if __name__ == "__main__":
    main()
