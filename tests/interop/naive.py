"""Independent re-implementations of each published metric definition, with plain loops.

Written from the repositories' procedures (docs/metric-definitions.md), not from the code
under test: each works on lists of (pred, gt, template) clips of Python floats.
"""

from __future__ import annotations

import math


def _dist(a, b) -> float:
    return math.sqrt(sum((float(x) - float(y)) ** 2 for x, y in zip(a, b)))


def _frames(pred, gt):
    """CodeTalker cuts the prediction to the ground truth; both are cut to the shorter."""
    n = min(len(pred), len(gt))
    return pred[:n], gt[:n]


def _centroid(frame, lip):
    return [sum(float(frame[v][c]) for v in lip) / len(lip) for c in range(3)]


def lip_terms(pred, gt, lip):
    """Per frame: max squared distance, max distance, mean distance, centred max distance."""
    out = []
    for p, g in zip(*_frames(pred, gt)):
        d = [_dist(p[v], g[v]) for v in lip]
        cp, cg = _centroid(p, lip), _centroid(g, lip)
        centred = [
            math.sqrt(
                sum(((float(g[v][c]) - cg[c]) - (float(p[v][c]) - cp[c])) ** 2 for c in range(3))
            )
            for v in lip
        ]
        out.append(
            {
                "max_sq": max(x * x for x in d),
                "max": max(d),
                "mean": sum(d) / len(d),
                "centred": max(centred),
            }
        )
    return out


def _dynamics(motion, template, upper) -> float:
    stds = []
    for v in upper:
        e = [sum((float(f[v][c]) - float(template[v][c])) ** 2 for c in range(3)) for f in motion]
        m = sum(e) / len(e)
        stds.append(math.sqrt(sum((x - m) ** 2 for x in e) / len(e)))
    return sum(stds) / len(stds)


def fdd_per_clip(pred, gt, template, upper) -> float:
    p, g = _frames(pred, gt)
    return _dynamics(g, template, upper) - _dynamics(p, template, upper)


def _scaled(clip, s):
    pred, gt, template = clip
    return (
        [[[float(x) * s for x in v] for v in f] for f in pred],
        [[[float(x) * s for x in v] for v in f] for f in gt],
        [[float(x) * s for x in v] for v in template],
    )


def definition(name, clips, lip, upper, *, dataset="", fps=25.0):
    """(lip error, FDD or None) of ``clips`` [(pred, gt, template)] under definition ``name``."""
    scale = {
        "unitalker": {"biwi": 0.2},
        "unitalker-lvd": {"biwi": 0.2},
        "imitator": {"vocaset": 1000.0},
    }
    s = scale.get(name, {}).get(dataset, 1.0)
    if s != 1.0:
        clips = [_scaled(c, s) for c in clips]
    cap = round(20 * fps) if name.startswith("unitalker") else None  # lip error: ≤ 20 s a clip
    key = {
        "codetalker": "max_sq",
        "diffspeaker": "max_sq",
        "unitalker": "max_sq",
        "facediffuser-abs": "max_sq",
        "unitalker-lvd": "max",
        "imitator": "max",
        "meshtalk": "centred",
        "lip-mean": "mean",
    }[name]
    per_clip = [[t[key] for t in lip_terms(p[:cap], g[:cap], lip)] for p, g, _ in clips]
    if name in ("codetalker", "facediffuser-abs", "meshtalk", "lip-mean"):  # frames pooled
        lve = sum(sum(x) for x in per_clip) / sum(len(x) for x in per_clip)
    else:  # one value a clip, then the plain mean over clips
        lve = sum(sum(x) / len(x) for x in per_clip) / len(per_clip)
    if name in ("unitalker-lvd", "meshtalk", "imitator", "lip-mean"):
        return lve, None
    fdds = [fdd_per_clip(p, g, t, upper) for p, g, t in clips]  # whole clips
    if name == "facediffuser-abs":
        fdds = [abs(f) for f in fdds]
    return lve, sum(fdds) / len(fdds)
