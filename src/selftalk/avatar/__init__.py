"""Your own character: animate a glTF / VRM avatar's ARKit-named morph targets from speech
(``animate_avatar``, ``drive_avatar``), and read an animated avatar back as vertex motion
(``avatar_motion``).

Public API::

    from selftalk.avatar import drive_avatar, read_gltf, plan_drives

    result = drive_avatar("character.vrm", arkit_weights, "talking.vrm", fps=30, audio="a.wav")
    print("\\n".join(result.report()))
"""

from selftalk.avatar.animate import AvatarAnimation, animate_avatar, arkit_curves, drive_avatar
from selftalk.avatar.gltf_file import GltfFile, read_gltf
from selftalk.avatar.names import arkit_name
from selftalk.avatar.targets import Plan, plan_drives, read_mapping

__all__ = [
    "AvatarAnimation",
    "GltfFile",
    "Plan",
    "animate_avatar",
    "arkit_curves",
    "arkit_name",
    "drive_avatar",
    "plan_drives",
    "read_gltf",
    "read_mapping",
]
