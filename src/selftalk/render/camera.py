"""A perspective camera framed on a template mesh, shared by every backend and by tests."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from selftalk.render.options import RenderOptions


@dataclass(frozen=True, kw_only=True)
class Camera:
    """OpenGL-convention camera: ``view`` and ``projection`` are (4, 4) float64 matrices."""

    view: np.ndarray
    projection: np.ndarray
    width: int
    height: int

    @property
    def position(self) -> np.ndarray:
        """(3,) camera centre in mesh coordinates."""
        rotation, translation = self.view[:3, :3], self.view[:3, 3]
        return -rotation.T @ translation

    def to_view(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) mesh points -> (..., 3) view-space points (camera looks down -z)."""
        return points @ self.view[:3, :3].T + self.view[:3, 3]

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) mesh points -> pixel coordinates (..., 2) (x right, y down, pixel centres at
        +0.5) and NDC depth (...,) in [-1, 1] (smaller is nearer)."""
        view = self.to_view(np.asarray(points, dtype=np.float64))
        clip = view @ self.projection[:3, :3].T + self.projection[:3, 3]
        w = -view[..., 2]
        ndc = clip / w[..., None]
        x = (ndc[..., 0] * 0.5 + 0.5) * self.width
        y = (0.5 - ndc[..., 1] * 0.5) * self.height
        return np.stack([x, y], axis=-1), ndc[..., 2]


def _axis(name: str) -> np.ndarray:
    vector = np.zeros(3)
    vector["xyz".index(name[1])] = 1.0 if name[0] == "+" else -1.0
    return vector


def _rotate(vector: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues rotation of ``vector`` about unit ``axis`` by ``angle`` radians."""
    c, s = math.cos(angle), math.sin(angle)
    return vector * c + np.cross(axis, vector) * s + axis * (axis @ vector) * (1 - c)


def frame_camera(template: np.ndarray, options: RenderOptions) -> Camera:
    """A camera that sees the whole (V, 3) ``template`` from its front, filling the image.

    The distance is the smallest at which every template vertex projects inside the image
    shrunk by ``options.margin``; the image is centred on the template's silhouette box.
    """
    points = np.asarray(template, dtype=np.float64).reshape(-1, 3)
    up, front = _axis(options.up), _axis(options.front)
    yaw, pitch = math.radians(options.yaw_deg), math.radians(options.pitch_deg)
    back = _rotate(front, up, yaw)  # from the target towards the camera
    right = np.cross(up, back)
    back = _rotate(back, right / np.linalg.norm(right), -pitch)
    right = np.cross(up, back)
    right /= np.linalg.norm(right)
    true_up = np.cross(back, right)

    basis = np.stack([right, true_up, back])  # rows: camera axes in mesh coordinates
    local = points @ basis.T
    lo, hi = local.min(axis=0), local.max(axis=0)
    centre = (lo + hi) / 2
    local = local - centre
    tan_y = math.tan(math.radians(options.fov_deg) / 2)
    tan_x = tan_y * options.width / options.height
    need = local[:, 2] + options.margin * np.maximum(
        np.abs(local[:, 0]) / tan_x, np.abs(local[:, 1]) / tan_y
    )
    depth = float(hi[2] - lo[2])
    distance = float(max(need.max(), 1e-6))
    eye = basis.T @ (centre + np.array([0.0, 0.0, distance]))

    view = np.eye(4)
    view[:3, :3] = basis
    view[:3, 3] = -basis @ eye
    # room in front of and behind the template for the motion's excursions
    near = max(distance - 1.5 * depth, 0.02 * distance)
    far = distance + 1.5 * depth + 0.01 * distance
    return Camera(
        view=view,
        projection=_perspective(tan_y, options.width / options.height, near, far),
        width=options.width,
        height=options.height,
    )


def _perspective(tan_half_fov: float, aspect: float, near: float, far: float) -> np.ndarray:
    f = 1.0 / tan_half_fov
    return np.array(
        [
            [f / aspect, 0, 0, 0],
            [0, f, 0, 0],
            [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
            [0, 0, -1, 0],
        ]
    )
