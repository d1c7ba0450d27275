#!/usr/bin/env python3
"""Render a SynthTalk clip's most closed (/p b m/) and most open frames side by side.

python scripts/render_mouth_frames.py DATA_DIR CLIP -o docs/images/mouth_open_closed.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from selftalk.data.layout import DatasetLayout
from selftalk.render.options import RenderOptions
from selftalk.render.renderer import Renderer
from selftalk.synth.head import load_head


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("clip")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    data = DatasetLayout(args.data)
    fps = data.meta.fps
    motion = data.motion(args.clip)
    regions = load_head().regions
    upper, lower = regions["lip_mid_upper"], regions["lip_mid_lower"]
    gap = np.linalg.norm(motion[:, upper] - motion[:, lower], axis=-1).mean(1)
    phones = data.meta.clips[args.clip]["phones"]
    closures = [(s + e) / 2 for p, s, e in phones if p in ("P", "B", "M")]
    closed = min((int(round(t * fps)) for t in closures), key=lambda f: gap[f])
    opened = int(np.argmax(gap))
    mesh = data.mesh()
    options = RenderOptions(width=384, height=384)
    with Renderer(mesh.faces, motion[0], options) as renderer:
        images = [renderer.render(motion[f]) for f in (closed, opened)]
    Image.fromarray(np.concatenate(images, axis=1)).save(args.output)
    print(
        f"{args.output}: frame {closed} (lip gap {gap[closed] * 1000:.1f} mm, /p b m/) | "
        f"frame {opened} (lip gap {gap[opened] * 1000:.1f} mm)"
    )


if __name__ == "__main__":
    main()
