"""Recognise ARKit blendshape names as avatar tools spell them.

``jawOpen``, ``JawOpen``, ``jaw_open``, ``Jaw_Open``, ``blendShape1.jawOpen`` (Maya node
prefix), ``Head:jawOpen`` / ``Head|jawOpen`` (namespaces), ``A_JawOpen`` / ``ARKit_jawOpen`` /
``BS_jawOpen`` (one or more prefix words before ``_``), ``jawOpen.001`` (Blender duplicates),
``eyeBlink_L`` / ``EyeBlinkL`` / ``eye_blink_left`` (side suffixes) all name ``jawOpen`` or
``eyeBlinkLeft``. Matching ignores case and punctuation; prefixes are only dropped at a
separator, so an unrelated name that merely ends in ``Open`` is not taken for ``jawOpen``.
"""

from __future__ import annotations

import re

from selftalk.arkit import ALPHABETICAL

_SIDE = re.compile(r"(?:(?<=[a-z0-9])|[_.\s-])(L|R|Left|Right|left|right)$")


def key(name: str) -> str:
    """A matching key: lowercase letters only, side suffix spelled out (``eyeblinkleft``)."""
    name = _SIDE.sub(lambda m: "Left" if m.group(1)[0] in "Ll" else "Right", name.strip())
    return re.sub(r"[^a-z]", "", name.lower())


_ARKIT_KEYS = {key(name): name for name in ALPHABETICAL}


def _candidates(name: str) -> list[str]:
    name = re.sub(r"\.\d+$", "", name.strip())  # Blender's .001
    name = re.split(r"[.:|/]", name)[-1]  # node, namespace or path prefix
    parts = re.split(r"(?<=[_-])", name)  # keep the separator on the prefix word
    return ["".join(parts[i:]) for i in range(len(parts))]


def arkit_name(name: str) -> str | None:
    """The ARKit name that target ``name`` spells, or None."""
    if not isinstance(name, str):
        return None
    for candidate in _candidates(name):
        found = _ARKIT_KEYS.get(key(candidate))
        if found:
            return found
    return None
