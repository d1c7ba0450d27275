"""Rig any head mesh with the 52 ARKit blendshapes: fit the bundled head to it (similarity
alignment, then non-rigid ICP) and transfer the head's shapes by deformation transfer.

Public API::

    from selftalk.rig import rig_mesh, write_rigged

    rig = rig_mesh(vertices, faces)           # any units, pose, vertex count, topology
    write_rigged("rigged.glb", rig)           # then: selftalk animate --avatar rigged.glb

Needs ``trimesh`` (registration) and ``scipy`` (sparse solves).
"""

from selftalk.rig.landmarks import NAMES as LANDMARK_NAMES
from selftalk.rig.landmarks import head_landmarks, read_landmarks
from selftalk.rig.register import Similarity, align, fit_head
from selftalk.rig.rig import Rig, rig_mesh, write_rigged
from selftalk.rig.transfer import transfer

__all__ = [
    "LANDMARK_NAMES",
    "Rig",
    "Similarity",
    "align",
    "fit_head",
    "head_landmarks",
    "read_landmarks",
    "rig_mesh",
    "transfer",
    "write_rigged",
]
