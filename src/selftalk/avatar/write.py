"""Append a morph-weight animation to an avatar, leaving every other part of the file as it was."""

from __future__ import annotations

import numpy as np

from selftalk import __version__
from selftalk.avatar.gltf_file import GltfFile

ANIMATION_MARK = "selftalk"  # animations[i].extras.selftalk marks ours (the web player looks)


def add_animation(
    gltf: GltfFile,
    weights: dict[int, np.ndarray],
    nodes: dict[int, list[int]],
    *,
    fps: float,
    name: str = "speech",
    audio: str | None = None,
) -> int:
    """Append one animation: a sampler per mesh (LINEAR, a key a frame at ``i / fps``) and a
    ``weights`` channel per node showing that mesh.

    Args:
        weights: {mesh index: (T, n_targets) float32} morph weights.
        nodes: {mesh index: node indices}; meshes without nodes get no channel.
        audio: file name of the sound beside the avatar, stored in the animation's extras.
    Returns the new animation's index.
    """
    frames = {len(w) for w in weights.values()}
    (t,) = frames
    times = np.arange(t, dtype=np.float32) / np.float32(fps)
    time_accessor = gltf.append_accessor(times, kind="SCALAR", bounds=True)
    samplers, channels = [], []
    for mesh, w in weights.items():
        if not nodes.get(mesh):
            continue
        output = gltf.append_accessor(
            np.ascontiguousarray(w, np.float32).reshape(-1), kind="SCALAR"
        )
        samplers.append({"input": time_accessor, "output": output, "interpolation": "LINEAR"})
        for node in nodes[mesh]:
            channels.append(
                {"sampler": len(samplers) - 1, "target": {"node": node, "path": "weights"}}
            )
    extras = {ANIMATION_MARK: __version__, "fps": float(fps), "frames": t}
    if audio:
        extras["audio"] = audio
    animation = {"name": name, "samplers": samplers, "channels": channels, "extras": extras}
    gltf.doc.setdefault("animations", []).append(animation)
    return len(gltf.doc["animations"]) - 1
