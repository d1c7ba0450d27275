"""The 52 ARKit face blendshapes: their names in the two orders selftalk meets, and the one
file layout of ARKit curves (Live Link Face's CSV, or the same columns as JSON).

- :data:`ALPHABETICAL`: sorted names, the order of anny's facial actions, of the bundled
  head asset, of SynthTalk's weights (``arkit/{clip}.npy``, ``meta.json`` ``arkit_names``)
  and of every weight array the procedural animator makes.
- :data:`LIVE_LINK`: the column order of Live Link Face recordings (Unreal's ARKit
  blendshape order: by region, eyes first); every curve file selftalk writes uses it.

The two are permutations of each other; :func:`reorder` converts weights between them.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from selftalk.errors import ConfigError, InputError

ALPHABETICAL: tuple[str, ...] = tuple(
    """browDownLeft browDownRight browInnerUp browOuterUpLeft browOuterUpRight cheekPuff
    cheekSquintLeft cheekSquintRight eyeBlinkLeft eyeBlinkRight eyeLookDownLeft eyeLookDownRight
    eyeLookInLeft eyeLookInRight eyeLookOutLeft eyeLookOutRight eyeLookUpLeft eyeLookUpRight
    eyeSquintLeft eyeSquintRight eyeWideLeft eyeWideRight jawForward jawLeft jawOpen jawRight
    mouthClose mouthDimpleLeft mouthDimpleRight mouthFrownLeft mouthFrownRight mouthFunnel
    mouthLeft mouthLowerDownLeft mouthLowerDownRight mouthPressLeft mouthPressRight mouthPucker
    mouthRight mouthRollLower mouthRollUpper mouthShrugLower mouthShrugUpper mouthSmileLeft
    mouthSmileRight mouthStretchLeft mouthStretchRight mouthUpperUpLeft mouthUpperUpRight
    noseSneerLeft noseSneerRight tongueOut""".split()
)

LIVE_LINK: tuple[str, ...] = tuple(
    """eyeBlinkLeft eyeLookDownLeft eyeLookInLeft eyeLookOutLeft eyeLookUpLeft eyeSquintLeft
    eyeWideLeft eyeBlinkRight eyeLookDownRight eyeLookInRight eyeLookOutRight eyeLookUpRight
    eyeSquintRight eyeWideRight jawForward jawRight jawLeft jawOpen mouthClose mouthFunnel
    mouthPucker mouthRight mouthLeft mouthSmileLeft mouthSmileRight mouthFrownLeft
    mouthFrownRight mouthDimpleLeft mouthDimpleRight mouthStretchLeft mouthStretchRight
    mouthRollLower mouthRollUpper mouthShrugLower mouthShrugUpper mouthPressLeft mouthPressRight
    mouthLowerDownLeft mouthLowerDownRight mouthUpperUpLeft mouthUpperUpRight browDownLeft
    browDownRight browInnerUp browOuterUpLeft browOuterUpRight cheekPuff cheekSquintLeft
    cheekSquintRight noseSneerLeft noseSneerRight tongueOut""".split()
)

N_BLENDSHAPES = 52
#: name → column in :data:`ALPHABETICAL` order
ALPHABETICAL_INDEX: dict[str, int] = {name: i for i, name in enumerate(ALPHABETICAL)}

#: head and eye rotations that Live Link Face appends after the 52 shapes (written as 0)
LIVE_LINK_EXTRA = (
    "HeadYaw",
    "HeadPitch",
    "HeadRoll",
    "LeftEyeYaw",
    "LeftEyePitch",
    "LeftEyeRoll",
    "RightEyeYaw",
    "RightEyePitch",
    "RightEyeRoll",
)
LIVE_LINK_HEADER = (
    "Timecode",
    "BlendShapeCount",
    *(name[0].upper() + name[1:] for name in LIVE_LINK),
    *LIVE_LINK_EXTRA,
)
#: ``format`` of the JSON curve files
JSON_FORMAT = "selftalk.arkit52/1"


def permutation(source: Sequence[str], target: Sequence[str]) -> np.ndarray:
    """Indices ``p`` such that ``weights[..., p]`` turns ``source``-ordered columns into
    ``target`` order (both the same 52 names)."""
    if sorted(source) != sorted(target):
        raise ValueError("the two orders do not hold the same names")
    where = {name: i for i, name in enumerate(source)}
    return np.array([where[name] for name in target], dtype=np.int64)


def reorder(weights: np.ndarray, source: Sequence[str], target: Sequence[str]) -> np.ndarray:
    """(…, 52) weights in ``source`` order → the same weights in ``target`` order."""
    return np.asarray(weights)[..., permutation(source, target)]


@functools.lru_cache(maxsize=1024)  # a stream matches the same names every pass
def name_key(name: str) -> str:
    """Name → matching key: ``eyeBlink_L``, ``EyeBlinkLeft`` and ``eyeblinkleft`` agree."""
    name = re.sub(r"[_.\s-]?([LR])$", lambda m: "Left" if m.group(1) == "L" else "Right", name)
    return re.sub(r"[^a-z]", "", name.lower())


def match_names(
    weights: np.ndarray, names: Sequence[str], target: Sequence[str] = LIVE_LINK
) -> tuple[np.ndarray, list[str]]:
    """(T, K) weights named ``names`` (any case, ``_L``/``_R`` allowed) → (T, 52) in
    ``target`` order, and the ARKit names missing from ``names`` (their columns are 0).
    Names that are not ARKit names are dropped."""
    index = {name_key(n): i for i, n in enumerate(names)}
    out = np.zeros((len(weights), len(target)), np.float32)
    missing = []
    for j, name in enumerate(target):
        i = index.get(name_key(name))
        if i is None:
            missing.append(name)
        else:
            out[:, j] = weights[:, i]
    return out, missing


# --------------------------------------------------------------------------- curve files


def timecode(frame: int, fps: float) -> str:
    """Live Link Face timecode ``HH:MM:SS:FF.fff`` (FF: frame within the second at ``fps``,
    .fff: sub-frame fraction) of frame ``frame``."""
    seconds_total = frame / fps
    whole = int(np.floor(seconds_total + 1e-9))
    within = (seconds_total - whole) * fps
    ff = int(np.floor(within + 1e-6))
    sub = round((within - ff) * 1000) % 1000
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}:{ff:02d}.{sub:03d}"


def live_link_row(frame: int, weights52: np.ndarray, fps: float) -> list:
    """One Live Link Face CSV row: timecode of ``frame``, the shape count, the 52 weights
    (:data:`LIVE_LINK` order), then 9 head/eye rotations (here 0)."""
    count = len(LIVE_LINK) + len(LIVE_LINK_EXTRA)
    zeros = ["0"] * len(LIVE_LINK_EXTRA)
    return [timecode(frame, fps), count, *(f"{float(x):.6f}" for x in weights52), *zeros]


def live_link_csv(weights52: np.ndarray, fps: float) -> str:
    """CSV text in the layout Live Link Face records: :data:`LIVE_LINK_HEADER`, then one
    :func:`live_link_row` per frame of ``weights52`` (T, 52)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LIVE_LINK_HEADER)
    for i, row in enumerate(np.asarray(weights52, np.float64)):
        writer.writerow(live_link_row(i, row, fps))
    return buffer.getvalue()


def read_live_link_csv(path: str | Path) -> np.ndarray:
    """(T, 52) weights in :data:`LIVE_LINK` order from a Live Link Face CSV (any column order;
    shapes it lacks are 0)."""
    path = Path(path)
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, f"not a readable CSV file ({error})") from None
    if not rows:
        raise InputError(path, "the file is empty")
    header, body = rows[0], [r for r in rows[1:] if r]
    wanted = {name_key(n) for n in LIVE_LINK}
    columns = [i for i, name in enumerate(header) if name_key(name) in wanted]
    if not columns:
        raise InputError(path, "no ARKit blendshape column in the header")
    try:
        values = np.array([[float(r[i]) for i in columns] for r in body], np.float32)
    except (ValueError, IndexError):
        raise InputError(path, "a row has a missing or non-numeric weight") from None
    weights, _ = match_names(values.reshape(len(body), len(columns)), [header[i] for i in columns])
    return weights


def write_curves(
    path: str | Path,
    weights: np.ndarray,
    *,
    fps: float,
    order: Sequence[str],
    fit: dict[str, Any] | None = None,
) -> Path:
    """Write (T, 52) ``weights`` (columns in ``order``) as ARKit curves: ``.csv`` in Live Link
    Face's layout, or ``.json`` (``{"format", "fps", "names", "times", "weights"[, "fit"]}``,
    names in :data:`LIVE_LINK` order). Returns the path."""
    from selftalk.io import write_json, write_text

    path = Path(path)
    weights = reorder(np.asarray(weights, np.float32), order, LIVE_LINK)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_text(path, live_link_csv(weights, fps))
    elif suffix == ".json":
        obj: dict[str, Any] = {
            "format": JSON_FORMAT,
            "fps": float(fps),
            "names": list(LIVE_LINK),
            "times": [round(i / fps, 6) for i in range(len(weights))],
            "weights": [[round(float(x), 6) for x in row] for row in weights],
        }
        if fit is not None:
            obj["fit"] = fit
        write_json(path, obj)
    else:
        raise ConfigError(f"{path}: ARKit curves are written as .csv or .json")
    return path
