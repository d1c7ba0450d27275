"""Read a glTF / VRM morph-target animation back as vertex motion, for ``selftalk render``.

The meshes the animation drives are posed at their rest transforms (node hierarchy applied,
skinning left at the bind pose), their morph weights sampled at each frame time (LINEAR, STEP
or CUBICSPLINE values), and joined into one triangle mesh.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.avatar.gltf_file import GltfFile, read_gltf
from selftalk.avatar.vrm import vrm_version
from selftalk.avatar.write import ANIMATION_MARK


@dataclass(frozen=True, kw_only=True)
class AvatarMotion:
    """motion (T, V, 3) float32, faces (F, 3) int64, template (V, 3) at zero weights, fps,
    audio (a file beside the avatar, or None) and front (the axis the face looks along)."""

    motion: np.ndarray
    faces: np.ndarray
    template: np.ndarray
    fps: float
    audio: Path | None
    front: str


def avatar_motion(path: str | Path, *, fps: float | None = None) -> AvatarMotion:
    """Sample the avatar's selftalk animation (or its first morph animation) at ``fps``
    (default: the rate stored by selftalk, else 30)."""
    gltf = read_gltf(path)
    try:
        return _motion(gltf, fps)
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise gltf.error(f"malformed animation or mesh ({type(error).__name__}: {error})") from None


def _motion(gltf: GltfFile, fps: float | None) -> AvatarMotion:
    animation = _pick_animation(gltf)
    extras = animation.get("extras") if isinstance(animation.get("extras"), dict) else {}
    fps = float(fps or extras.get("fps") or 30.0)
    curves = {}  # node -> (times, values (K, n_targets))
    for channel in animation.get("channels", []):
        target = channel.get("target", {})
        if target.get("path") != "weights" or not isinstance(target.get("node"), int):
            continue
        sampler = animation["samplers"][channel["sampler"]]
        times = gltf.accessor(sampler["input"]).reshape(-1)
        values = gltf.accessor(sampler["output"]).reshape(-1)
        if sampler.get("interpolation") == "CUBICSPLINE":  # (in-tangent, value, out-tangent)
            values = values.reshape(len(times), 3, -1)[:, 1]
        curves[target["node"]] = (
            times,
            values.reshape(len(times), -1),
            sampler.get("interpolation", "LINEAR"),
        )
    end = max(float(t[-1]) for t, _, _ in curves.values() if len(t))
    frame_times = np.arange(int(np.floor(end * fps + 1e-6)) + 1) / fps
    parts, faces, offset = [], [], 0
    for node, (times, values, interpolation) in curves.items():
        weights = _sample(times, values, frame_times, interpolation)  # (T, n_targets)
        for base, deltas, tris in _primitives(gltf, node):
            if deltas.shape[0] != weights.shape[1]:
                raise gltf.error(
                    f"animation drives {weights.shape[1]} weights on node {node} "
                    f"but its mesh has {deltas.shape[0]} targets"
                )
            parts.append(base[None] + np.einsum("tk,kvc->tvc", weights, deltas))
            faces.append(tris + offset)
            offset += len(base)
    if not parts:
        raise gltf.error("its animation moves no triangle mesh")
    motion = np.concatenate(parts, axis=1).astype(np.float32)
    template_parts = [b for node in curves for b, _, _ in _primitives(gltf, node)]
    audio = extras.get("audio") or (gltf.doc.get("asset", {}).get("extras") or {}).get("audio")
    audio_path = gltf.path.parent / audio if isinstance(audio, str) else None
    return AvatarMotion(
        motion=motion,
        faces=np.concatenate(faces).astype(np.int64),
        template=np.concatenate(template_parts).astype(np.float32),
        fps=fps,
        audio=audio_path if audio_path and audio_path.is_file() else None,
        front="-z" if vrm_version(gltf) == "0.x" else "+z",
    )


def _pick_animation(gltf: GltfFile) -> dict:
    animations = [a for a in gltf.items("animations") if isinstance(a, dict)]
    ours = [a for a in animations if ANIMATION_MARK in (a.get("extras") or {})]
    morph = [
        a
        for a in animations
        if any(c.get("target", {}).get("path") == "weights" for c in a.get("channels", []))
    ]
    if not (ours or morph):
        raise gltf.error("has no morph-target animation to render")
    return (ours or morph)[-1 if ours else 0]


def _sample(times, values, at, interpolation):
    if interpolation == "STEP":
        index = np.clip(np.searchsorted(times, at, side="right") - 1, 0, len(times) - 1)
        return values[index]
    return np.stack([np.interp(at, times, values[:, k]) for k in range(values.shape[1])], 1)


def _primitives(gltf: GltfFile, node: int):
    """(base (V, 3), deltas (K, V, 3), triangles (F, 3)) of each triangle primitive of
    ``node``'s mesh, in world space at rest."""
    world = _world_matrix(gltf, node)
    mesh = gltf.item("meshes", gltf.item("nodes", node).get("mesh"))
    for primitive in mesh.get("primitives", []):
        if primitive.get("mode", 4) != 4:
            continue
        base = gltf.accessor(primitive["attributes"]["POSITION"])
        if "indices" in primitive:
            tris = gltf.accessor(primitive["indices"]).astype(np.int64).reshape(-1, 3)
        else:
            tris = np.arange(len(base) - len(base) % 3).reshape(-1, 3)
        if len(tris) and tris.max() >= len(base):
            raise gltf.error(f"a primitive of mesh {mesh.get('name')!r} indexes past its vertices")
        deltas = (
            np.stack(
                [
                    gltf.accessor(t["POSITION"]) if "POSITION" in t else np.zeros_like(base)
                    for t in primitive.get("targets", [])
                ]
            )
            if primitive.get("targets")
            else np.zeros((0, len(base), 3), np.float32)
        )
        yield base @ world[:3, :3].T + world[:3, 3], deltas @ world[:3, :3].T, tris


def _world_matrix(gltf: GltfFile, node: int) -> np.ndarray:
    parents = {}
    for i, n in enumerate(gltf.items("nodes")):
        for child in (n.get("children") or []) if isinstance(n, dict) else []:
            parents[child] = i
    matrix, seen = np.eye(4), set()
    while node is not None and node not in seen:
        seen.add(node)
        matrix = _local_matrix(gltf.item("nodes", node)) @ matrix
        node = parents.get(node)
    return matrix


def _local_matrix(node: dict) -> np.ndarray:
    if "matrix" in node:
        return np.asarray(node["matrix"], np.float64).reshape(4, 4).T  # column-major
    x, y, z, w = node.get("rotation", [0, 0, 0, 1])
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * np.asarray(node.get("scale", [1, 1, 1]), np.float64)[None]
    matrix[:3, 3] = node.get("translation", [0, 0, 0])
    return matrix
