"""VRM expressions (VRM 0.x ``blendShapeMaster`` groups, VRM 1.0 ``VRMC_vrm.expressions``) and the
table that drives VRM's preset expressions from ARKit weights.

An expression is a named set of morph-target binds; a glTF animation cannot drive an expression
itself (that is the VRM runtime's job), so selftalk drives the morph targets it binds, each at
``expression weight x bind weight``. Only morph-target binds are read; material binds (colour,
texture offset) are left to VRM runtimes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from selftalk.arkit import ALPHABETICAL_INDEX
from selftalk.avatar.gltf_file import GltfFile

# VRM 0.x preset names -> VRM 1.0 names (the names used everywhere below).
VRM0_PRESETS = {
    "a": "aa",
    "i": "ih",
    "u": "ou",
    "e": "ee",
    "o": "oh",
    "blink": "blink",
    "blink_l": "blinkLeft",
    "blink_r": "blinkRight",
    "lookup": "lookUp",
    "lookdown": "lookDown",
    "lookleft": "lookLeft",
    "lookright": "lookRight",
    "joy": "happy",
    "angry": "angry",
    "sorrow": "sad",
    "fun": "relaxed",
    "neutral": "neutral",
}

# ARKit -> VRM preset expressions: each preset weight is the clipped [0, 1] sum of
# coefficient x ARKit weight. Documented in docs/avatars.md; change both together.
ARKIT_TO_VRM: dict[str, dict[str, float]] = {
    "aa": {"jawOpen": 1.0, "mouthFunnel": -0.5, "mouthPucker": -0.5},
    "ih": {"mouthStretchLeft": 0.5, "mouthStretchRight": 0.5, "jawOpen": 0.3},
    "ou": {"mouthPucker": 1.0},
    "ee": {
        "mouthSmileLeft": 0.5,
        "mouthSmileRight": 0.5,
        "mouthUpperUpLeft": 0.25,
        "mouthUpperUpRight": 0.25,
    },
    "oh": {"mouthFunnel": 1.0},
    "blinkLeft": {"eyeBlinkLeft": 1.0},
    "blinkRight": {"eyeBlinkRight": 1.0},
    "blink": {"eyeBlinkLeft": 0.5, "eyeBlinkRight": 0.5},
    "lookUp": {"eyeLookUpLeft": 0.5, "eyeLookUpRight": 0.5},
    "lookDown": {"eyeLookDownLeft": 0.5, "eyeLookDownRight": 0.5},
    "lookLeft": {"eyeLookOutLeft": 0.5, "eyeLookInRight": 0.5},
    "lookRight": {"eyeLookInLeft": 0.5, "eyeLookOutRight": 0.5},
}
# Which ARKit shapes a preset group stands in for: a group is driven only when the avatar
# lacks every ARKit shape it stands in for (so a mouth is never driven twice).
STANDS_IN_FOR = {
    "mouth": (("aa", "ih", "ou", "ee", "oh"), ("jawOpen", "mouthFunnel", "mouthPucker")),
    "blink": (("blink", "blinkLeft", "blinkRight"), ("eyeBlinkLeft", "eyeBlinkRight")),
    "look": (("lookUp", "lookDown", "lookLeft", "lookRight"), ("eyeLookUpLeft", "eyeLookInLeft")),
}


@dataclass(frozen=True)
class Bind:
    """One morph target an expression moves: ``mesh``'s target ``index`` at ``weight`` (0-1)."""

    mesh: int
    index: int
    weight: float


@dataclass(frozen=True)
class Expression:
    name: str
    """VRM 1.0 preset name (``aa``, ``blinkLeft``…) or the custom name as written."""
    preset: bool
    binds: tuple[Bind, ...]


def vrm_version(gltf: GltfFile) -> str | None:
    """``"0.x"``, ``"1.0"`` or None (plain glTF)."""
    extensions = gltf.doc.get("extensions")
    if not isinstance(extensions, dict):
        return None
    if isinstance(extensions.get("VRMC_vrm"), dict):
        return "1.0"
    if isinstance(extensions.get("VRM"), dict):
        return "0.x"
    return None


def expressions(gltf: GltfFile) -> list[Expression]:
    """The avatar's VRM expressions that bind morph targets (empty for plain glTF)."""
    version = vrm_version(gltf)
    if version == "0.x":
        return _vrm0(gltf)
    if version == "1.0":
        return _vrm1(gltf)
    return []


def _vrm0(gltf: GltfFile) -> list[Expression]:
    master = gltf.doc["extensions"]["VRM"].get("blendShapeMaster") or {}
    out = []
    for group in master.get("blendShapeGroups") or []:
        if not isinstance(group, dict):
            continue
        preset = VRM0_PRESETS.get(str(group.get("presetName", "")).lower())
        binds = tuple(
            Bind(int(b["mesh"]), int(b["index"]), float(b.get("weight", 100)) / 100.0)
            for b in group.get("binds") or []
            if isinstance(b, dict) and _is_int(b.get("mesh")) and _is_int(b.get("index"))
        )
        name = preset or str(group.get("name", ""))
        out.append(Expression(name=name, preset=preset is not None, binds=binds))
    return out


def _vrm1(gltf: GltfFile) -> list[Expression]:
    table = gltf.doc["extensions"]["VRMC_vrm"].get("expressions") or {}
    nodes = gltf.items("nodes")
    out = []
    for kind in ("preset", "custom"):
        for name, expression in (table.get(kind) or {}).items():
            if not isinstance(expression, dict):
                continue
            binds = []
            for b in expression.get("morphTargetBinds") or []:
                node = b.get("node") if isinstance(b, dict) else None
                if _is_int(node) and 0 <= node < len(nodes) and _is_int(b.get("index")):
                    mesh = nodes[node].get("mesh") if isinstance(nodes[node], dict) else None
                    if _is_int(mesh):
                        binds.append(Bind(mesh, int(b["index"]), float(b.get("weight", 1.0))))
            out.append(Expression(name=str(name), preset=kind == "preset", binds=tuple(binds)))
    return out


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def preset_weights(arkit: np.ndarray, names: list[str]) -> np.ndarray:
    """(T, 52) ARKit weights (``selftalk.arkit.ALPHABETICAL`` order) -> (T, len(names)) preset weights
    by :data:`ARKIT_TO_VRM`, clipped to [0, 1]."""
    out = np.zeros((len(arkit), len(names)), np.float32)
    for j, name in enumerate(names):
        for shape, coefficient in ARKIT_TO_VRM[name].items():
            out[:, j] += coefficient * arkit[:, ALPHABETICAL_INDEX[shape]]
    return np.clip(out, 0.0, 1.0)
