#!/usr/bin/env python3
"""Rig a head that is not the bundled topology and render it at rest and in three expressions.

The head: an identity of the bundled head far from its mean (coefficients x1.6), widened by 8 %
and with a 10 % longer face, subdivided and decimated to a new topology (about 3k vertices),
posed in centimetres and rotated, as a third-party mesh arrives. It is rigged by
`selftalk rig`'s library with the ten landmarks a user would click (here carried from the
identity they were made from). Automatic alignment, without landmarks, tilts this head by
about 20 degrees (docs/avatars.md, Limits).

python scripts/render_rigged_head.py -o docs/images/rigged_head.png [--glb rigged.glb]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from selftalk.render.options import RenderOptions
from selftalk.render.renderer import Renderer
from selftalk.rig import head_landmarks, rig_mesh, write_rigged
from selftalk.synth.head import load_head

POSES = {
    "rest": {},
    "jawOpen .6 + mouthFunnel .4": {"jawOpen": 0.6, "mouthFunnel": 0.4},
    "smile + blink": {
        "mouthSmileLeft": 0.9,
        "mouthSmileRight": 0.9,
        "eyeBlinkLeft": 1.0,
        "eyeBlinkRight": 1.0,
        "cheekSquintLeft": 0.5,
        "cheekSquintRight": 0.5,
    },
    "pucker + brows up": {
        "mouthPucker": 0.9,
        "browInnerUp": 0.8,
        "browOuterUpLeft": 0.6,
        "browOuterUpRight": 0.6,
    },
}


def third_party_head(seed: int = 11) -> tuple[np.ndarray, np.ndarray, dict]:
    import fast_simplification
    import trimesh
    from scipy.spatial.transform import Rotation

    head = load_head()
    rng = np.random.default_rng(seed)
    face = head.identity(1.6 * rng.normal(size=24)).astype(np.float64)
    face *= [1.08, 1.10, 1.0]
    vertices, faces = trimesh.remesh.subdivide(face, head.faces)
    vertices, faces = fast_simplification.simplify(
        vertices.astype(np.float32), faces.astype(np.int32), target_reduction=0.84
    )
    rotation = Rotation.from_euler("xyz", [-90, 0, 30], degrees=True).as_matrix()  # z up

    def pose(points):
        return 100.0 * np.asarray(points, np.float64) @ rotation.T

    landmarks = {name: pose(face[i]) for name, i in head_landmarks().items()}
    return pose(vertices), np.asarray(faces, np.int64), landmarks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--glb", type=Path, help="also write the rigged .glb here")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    vertices, faces, landmarks = third_party_head()
    rig = rig_mesh(vertices, faces, landmarks=landmarks)
    print(
        f"{len(vertices)} vertices, rigged in {rig.seconds:.1f} s, fit {rig.fit_rms * 1e3:.2f} mm"
    )
    if args.glb:
        write_rigged(args.glb, rig)
    upright = rig.similarity.apply(rig.vertices.astype(np.float64))  # the head's frame
    deltas = rig.deltas @ rig.similarity.rotation.T * rig.similarity.scale
    names = list(rig.names)
    options = RenderOptions(width=args.size, height=args.size, samples=4)
    panels = []
    with Renderer(faces, upright.astype(np.float32), options) as renderer:
        for label, weights in POSES.items():
            shape = upright + sum(w * deltas[names.index(n)] for n, w in weights.items())
            image = Image.fromarray(renderer.render(np.asarray(shape, np.float32)))
            ImageDraw.Draw(image).text((6, 4), label, fill=(40, 40, 40))
            panels.append(image)
    sheet = Image.new("RGB", (args.size * len(panels), args.size), "white")
    for i, panel in enumerate(panels):
        sheet.paste(panel, (i * args.size, 0))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.output, optimize=True)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
