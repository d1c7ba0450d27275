"""Named facial landmarks on the bundled head, and reading a ``--landmarks`` file for a user's mesh.

The landmark vertices are found from the head's regions (eyelids, lip contour, mid-lip
vertices) and its geometry, so they follow the asset if it is rebuilt.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from selftalk.errors import InputError
from selftalk.synth.head import Head, load_head

NAMES = (
    "noseTip",
    "chin",
    "mouthCornerLeft",
    "mouthCornerRight",
    "upperLipMid",
    "lowerLipMid",
    "eyeOuterLeft",
    "eyeInnerLeft",
    "eyeOuterRight",
    "eyeInnerRight",
)


def head_landmarks(head: Head | None = None) -> dict[str, int]:
    """{landmark name: vertex index} on the bundled head (+x is the subject's left)."""
    return dict(_landmarks(id(head), head) if head is not None else _default())


@functools.lru_cache(maxsize=1)
def _default() -> tuple:
    return _landmarks(0, load_head())


def _landmarks(_key: int, head: Head) -> tuple:
    v, r = head.template, head.regions
    face = np.setdiff1d(np.arange(len(v)), np.r_[r["eyeballs"], r["mouth_cavity"]])
    contour = np.r_[r["lip_contour_upper"], r["lip_contour_lower"]]
    lids, balls = r["eyelids"], r["eyeballs"]

    def corner(side: int, outward: bool) -> int:
        # the eyelid vertex nearest the eyeball's side point (its equator, towards or away
        # from the face's midline)
        ball = v[balls[side * v[balls, 0] > 0]]
        centre = (ball.min(0) + ball.max(0)) / 2
        half = (ball.max(0) - ball.min(0))[0] / 2
        point = centre + [side * half * (1 if outward else -1), 0, 0]
        return int(lids[np.argmin(np.linalg.norm(v[lids] - point, axis=1))])

    def mid(indices):
        return int(indices[np.argmin(np.abs(v[indices, 0]))])

    lower = mid(r["lip_mid_lower"])
    below = face[
        (np.abs(v[face, 0]) < 0.01)
        & (v[face, 1] < v[lower, 1] - 0.02)
        & (v[face, 1] > v[lower, 1] - 0.06)
    ]
    return tuple(
        {
            "noseTip": int(face[np.argmax(v[face, 2])]),
            "chin": int(below[np.argmax(v[below, 2])]),
            "mouthCornerLeft": int(contour[np.argmax(v[contour, 0])]),
            "mouthCornerRight": int(contour[np.argmin(v[contour, 0])]),
            "upperLipMid": mid(r["lip_mid_upper"]),
            "lowerLipMid": lower,
            "eyeOuterLeft": corner(1, True),
            "eyeInnerLeft": corner(1, False),
            "eyeOuterRight": corner(-1, True),
            "eyeInnerRight": corner(-1, False),
        }.items()
    )


def read_landmarks(path: str | Path) -> dict[str, np.ndarray]:
    """A ``--landmarks`` JSON/YAML file: {name: [x, y, z]} on the user's mesh, at least 4 of
    :data:`NAMES` (not all in one plane)."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "no such --landmarks file") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise InputError(path, f"not valid JSON/YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(path, "a landmarks file is an object: name -> [x, y, z]")
    points = {}
    for name, value in data.items():
        if name not in NAMES:
            raise InputError(path, f"unknown landmark {name!r} (known: {', '.join(NAMES)})")
        try:
            point = np.asarray(value, np.float64).reshape(3)
        except (TypeError, ValueError):
            raise InputError(path, f"{name}: give [x, y, z]") from None
        if not np.isfinite(point).all():
            raise InputError(path, f"{name}: not a finite point")
        points[name] = point
    if len(points) < 4:
        raise InputError(path, f"give at least 4 landmarks ({len(points)} given)")
    return points
