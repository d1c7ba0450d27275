#!/usr/bin/env python3
"""Draw the field's lip and upper-face masks, schematically, on the bundled CC0 head.

The masks (FLAME_masks.pkl, BIWI_lip.pkl, CodeTalker's regions/*.txt, FaceDiffuser's
regions) are licence-bound and their meshes too, so neither is drawn or shipped. Instead
each mask is *transferred* onto the bundled head: both meshes are put in a frontal frame
whose origin is the height of the mask set's lip centroid on the mesh's middle (the median x
of its front-facing vertices), and whose unit is the vertical distance from the lip centroid
to the centroid of the upper-face region; each front-facing vertex of the
head takes the label of the nearest front-facing source vertex in (x, y). The result shows
where a mask lies and how far it reaches, not its exact vertices. The head's own regions
(the bundled model's) are drawn exactly.

python scripts/render_region_pictures.py -o docs/images/regions.png \
    --flame-mesh FLAME_sample.ply --flame-masks FLAME_masks.pkl \
    --biwi-mesh BIWI.ply --biwi-regions BIWI/regions \
    [--facediffuser-regions FaceDiffuser/data/vocaset/regions]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy.spatial import cKDTree

from selftalk.data.regions import resolve_regions
from selftalk.mesh import read_mesh
from selftalk.render.normals import VertexNormals
from selftalk.render.options import RenderOptions
from selftalk.render.renderer import Renderer
from selftalk.synth.head import load_head
from selftalk.topology import read_indices

HIGHLIGHT = np.array([0.85, 0.25, 0.2], np.float32)
BASE = np.array([0.78, 0.78, 0.80], np.float32)
FRONT = 0.2  # a vertex faces the camera when its normal's z exceeds this


def _frame(vertices, faces, lip, upper):
    """(x, y) in the frame of the lip and upper-face centroids, and a front-facing mask."""
    front = VertexNormals(faces, len(vertices))(vertices)[:, 2] > FRONT
    origin = np.array([np.median(vertices[front, 0]), vertices[lip, 1].mean()])
    unit = vertices[upper, 1].mean() - origin[1]
    return (vertices[:, :2] - origin) / unit, front


def transfer(source, target, region) -> np.ndarray:
    """Boolean (V_target,): target vertices nearest (frontally) to a vertex of ``region``."""
    (sxy, sfront), (txy, tfront) = source, target
    labels = np.zeros(len(sxy), bool)
    labels[region] = True
    front = np.flatnonzero(sfront)
    _, nearest = cKDTree(sxy[front]).query(txy)
    return tfront & labels[front[nearest]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--flame-mesh", type=Path, required=True)
    parser.add_argument("--flame-masks", type=Path, required=True)
    parser.add_argument("--biwi-mesh", type=Path, required=True)
    parser.add_argument("--biwi-regions", type=Path, required=True)
    parser.add_argument("--facediffuser-regions", type=Path)
    args = parser.parse_args()

    head = load_head()
    lips, upper = head.regions["lips"], head.regions["upper_face"]
    target = _frame(head.template, head.faces, lips, upper)
    panels = [(f"bundled head: lips ({len(lips)})", np.isin(np.arange(len(head.template)), lips))]
    panels.append(
        (f"bundled head: upper face ({len(upper)})", np.isin(np.arange(len(head.template)), upper))
    )

    flame = read_mesh(args.flame_mesh)
    fl = resolve_regions(args.flame_masks.parent, str(args.flame_masks))
    source = _frame(flame.vertices, flame.faces, fl.lip, fl.upper)
    panels.append((f"FLAME 'lips' ({len(fl.lip)})", transfer(source, target, fl.lip)))
    panels.append(
        (f"FLAME forehead+eye_region ({len(fl.upper)})", transfer(source, target, fl.upper))
    )
    if args.facediffuser_regions:
        fd = resolve_regions(args.facediffuser_regions, str(args.facediffuser_regions))
        panels.append(
            (f"FaceDiffuser VOCASET lve ({len(fd.lip)})", transfer(source, target, fd.lip))
        )
        panels.append(
            (f"FaceDiffuser VOCASET fdd ({len(fd.upper)})", transfer(source, target, fd.upper))
        )

    biwi = read_mesh(args.biwi_mesh)
    bl, bu = (
        read_indices(args.biwi_regions / "lve.txt"),
        read_indices(args.biwi_regions / "fdd.txt"),
    )
    source = _frame(biwi.vertices, biwi.faces, bl, bu)
    panels.append((f"BIWI lve.txt = BIWI_lip.pkl ({len(bl)})", transfer(source, target, bl)))
    panels.append((f"BIWI fdd.txt ({len(bu)})", transfer(source, target, bu)))

    size = 300
    options = RenderOptions(width=size, height=size)
    images = []
    with Renderer(head.faces, head.template, options) as renderer:
        for title, mask in panels:
            colors = np.where(mask[:, None], HIGHLIGHT, BASE)
            image = Image.fromarray(renderer.render(head.template, colors))
            canvas = Image.new("RGB", (size, size + 24), "white")
            canvas.paste(image, (0, 24))
            ImageDraw.Draw(canvas).text((6, 5), title, fill="black")
            images.append(canvas)
    columns = 4
    rows = -(-len(images) // columns)
    sheet = Image.new("RGB", (columns * size, rows * (size + 24)), "white")
    for i, image in enumerate(images):
        sheet.paste(image, ((i % columns) * size, (i // columns) * (size + 24)))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.output, optimize=True)
    print(f"{args.output}: {len(images)} panels")


if __name__ == "__main__":
    main()
