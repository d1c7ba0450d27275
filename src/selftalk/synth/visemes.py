"""Viseme targets: ARPAbet phone → ARKit mouth weights and the strength of its dominance.

Each phone has one target (diphthongs two: at the start and near the end of the phone) and a
dominance magnitude (Cohen & Massaro 1993): consonants whose lip posture is obligatory
(/p b m/ closure, /f v/ lip-teeth contact, rounding of /w/) dominate their neighbours, while
/h/, schwa and alveolars let the neighbours show through. Shapes named without Left/Right
(``mouthStretch``) set both sides. Values were tuned by eye on the bundled head.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from selftalk.arkit import ALPHABETICAL, ALPHABETICAL_INDEX

# Channels the viseme blend drives; everything else is left to the upper-face model.
MOUTH_CHANNELS: tuple[str, ...] = tuple(
    n for n in ALPHABETICAL if n.startswith(("jaw", "mouth", "tongue", "cheekPuff"))
)
# Shapes that part the lips; a bilabial closure suppresses them.
LIP_OPENERS: tuple[str, ...] = (
    "mouthFunnel",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthShrugUpper",
    "tongueOut",
)
BILABIALS = frozenset({"P", "B", "M"})
LABIODENTALS = frozenset({"F", "V"})


@dataclass(frozen=True, kw_only=True)
class Viseme:
    """A phone's mouth posture: ``targets`` (one or two weight dicts) and dominance ``strength``."""

    targets: tuple[dict[str, float], ...]
    strength: float = 1.0
    weights: tuple[np.ndarray, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", tuple(_vector(t) for t in self.targets))


def _vector(target: dict[str, float]) -> np.ndarray:
    out = np.zeros(len(ALPHABETICAL), np.float32)
    for name, value in target.items():
        names = [name] if name in ALPHABETICAL_INDEX else [name + "Left", name + "Right"]
        for n in names:
            out[ALPHABETICAL_INDEX[n]] = value
    return out


def _v(*targets: dict[str, float], strength: float = 1.0) -> Viseme:
    return Viseme(targets=targets, strength=strength)


_CLOSED = {"jawOpen": 0.07, "mouthClose": 0.07, "mouthRollLower": 0.12, "mouthRollUpper": 0.1}
_AA = {"jawOpen": 0.65, "mouthLowerDown": 0.15, "mouthStretch": 0.05}
_AE = {"jawOpen": 0.5, "mouthStretch": 0.25, "mouthLowerDown": 0.25, "mouthUpperUp": 0.1}
_AH = {"jawOpen": 0.4, "mouthLowerDown": 0.1}
_AO = {"jawOpen": 0.5, "mouthFunnel": 0.3, "mouthPucker": 0.15}
_EH = {"jawOpen": 0.3, "mouthStretch": 0.2, "mouthLowerDown": 0.15}
_IH = {"jawOpen": 0.2, "mouthStretch": 0.25, "mouthSmile": 0.1}
_IY = {"jawOpen": 0.12, "mouthStretch": 0.3, "mouthSmile": 0.25, "mouthUpperUp": 0.1}
_UH = {"jawOpen": 0.2, "mouthPucker": 0.35, "mouthFunnel": 0.3}
_UW = {"jawOpen": 0.12, "mouthPucker": 0.75, "mouthFunnel": 0.45}
_OW = {"jawOpen": 0.3, "mouthFunnel": 0.6, "mouthPucker": 0.4}

VISEMES: dict[str, Viseme] = {
    "SIL": _v({}, strength=0.6),
    # bilabials: lips pressed together
    "P": _v({**_CLOSED, "mouthPress": 0.35}, strength=2.5),
    "B": _v({**_CLOSED, "mouthPress": 0.3}, strength=2.5),
    "M": _v({**_CLOSED, "mouthPress": 0.2}, strength=2.5),
    # labiodentals: lower lip rolled under the upper teeth
    "F": _v(
        {
            "jawOpen": 0.1,
            "mouthClose": 0.04,
            "mouthRollLower": 0.65,
            "mouthUpperUp": 0.25,
            "mouthShrugUpper": 0.1,
        },
        strength=2.5,
    ),
    "V": _v(
        {
            "jawOpen": 0.1,
            "mouthClose": 0.04,
            "mouthRollLower": 0.6,
            "mouthUpperUp": 0.2,
            "mouthShrugUpper": 0.1,
        },
        strength=2.5,
    ),
    # dental: tongue tip between the teeth
    "TH": _v({"jawOpen": 0.16, "tongueOut": 0.25, "mouthUpperUp": 0.1}, strength=2.0),
    "DH": _v({"jawOpen": 0.14, "tongueOut": 0.2, "mouthUpperUp": 0.1}, strength=1.5),
    # rounded
    "W": _v({"jawOpen": 0.06, "mouthPucker": 0.85, "mouthFunnel": 0.3}, strength=3.0),
    "UW": _v(_UW, strength=2.5),
    "OW": _v(_OW, _UW, strength=2.0),
    "UH": _v(_UH, strength=1.5),
    "ER": _v({"jawOpen": 0.15, "mouthFunnel": 0.35, "mouthPucker": 0.25}, strength=1.5),
    "R": _v({"jawOpen": 0.1, "mouthFunnel": 0.3, "mouthPucker": 0.3}, strength=1.5),
    # post-alveolars: lips protruded and parted
    "SH": _v(
        {
            "jawOpen": 0.1,
            "mouthFunnel": 0.5,
            "mouthPucker": 0.2,
            "mouthUpperUp": 0.15,
            "mouthLowerDown": 0.1,
        },
        strength=2.5,
    ),
    "ZH": _v(
        {"jawOpen": 0.1, "mouthFunnel": 0.45, "mouthPucker": 0.2, "mouthUpperUp": 0.15},
        strength=2.0,
    ),
    "CH": _v(
        {"jawOpen": 0.12, "mouthFunnel": 0.45, "mouthPucker": 0.2, "mouthUpperUp": 0.1},
        strength=2.5,
    ),
    "JH": _v(
        {"jawOpen": 0.12, "mouthFunnel": 0.4, "mouthPucker": 0.2, "mouthUpperUp": 0.1}, strength=2.0
    ),
    # alveolars and velars: jaw nearly closed, lips follow the neighbours
    "S": _v({"jawOpen": 0.06, "mouthStretch": 0.15, "mouthSmile": 0.1}, strength=1.5),
    "Z": _v({"jawOpen": 0.06, "mouthStretch": 0.12, "mouthSmile": 0.08}, strength=1.2),
    "T": _v({"jawOpen": 0.12}, strength=0.8),
    "D": _v({"jawOpen": 0.12}, strength=0.7),
    "N": _v({"jawOpen": 0.12}, strength=0.6),
    "L": _v({"jawOpen": 0.2, "tongueOut": 0.05}, strength=0.7),
    "K": _v({"jawOpen": 0.18}, strength=0.6),
    "G": _v({"jawOpen": 0.18}, strength=0.6),
    "NG": _v({"jawOpen": 0.16}, strength=0.5),
    "HH": _v({"jawOpen": 0.25}, strength=0.3),
    "Y": _v({"jawOpen": 0.1, "mouthStretch": 0.2, "mouthSmile": 0.15}, strength=1.0),
    # vowels
    "AA": _v(_AA, strength=1.2),
    "AE": _v(_AE, strength=1.2),
    "AH": _v(_AH, strength=0.6),
    "AO": _v(_AO, strength=1.2),
    "EH": _v(_EH, strength=1.0),
    "IH": _v(_IH, strength=0.9),
    "IY": _v(_IY, strength=1.2),
    "AW": _v(_AA, _UW, strength=1.2),
    "AY": _v(_AA, _IY, strength=1.2),
    "EY": _v(_EH, _IY, strength=1.1),
    "OY": _v(_AO, _IY, strength=1.2),
}


def viseme(phone: str) -> Viseme:
    """The viseme of an ARPAbet phone (``SIL`` for anything unknown)."""
    return VISEMES.get(phone, VISEMES["SIL"])
