"""Render options: image size, colours, camera direction, backend."""

from __future__ import annotations

import re
from dataclasses import dataclass

from selftalk.errors import ConfigError

Color = tuple[float, float, float]

AXES = ("+x", "-x", "+y", "-y", "+z", "-z")
BACKENDS = ("auto", "egl", "numpy")


@dataclass(kw_only=True)
class RenderOptions:
    """How a mesh is drawn. Colours are RGB in [0, 1]."""

    width: int = 512
    """Image width in pixels (even, for H.264)."""
    height: int = 512
    """Image height in pixels (even, for H.264)."""
    background: Color = (1.0, 1.0, 1.0)
    """Background colour."""
    color: Color = (0.70, 0.70, 0.74)
    """Mesh colour when no per-vertex colours are given."""
    up: str = "+y"
    """Mesh axis that points up on screen."""
    front: str = "+z"
    """Mesh axis the face looks along; the camera sits on that side."""
    yaw_deg: float = 0.0
    """Turn the camera about the up axis (positive: towards the face's left)."""
    pitch_deg: float = 0.0
    """Raise the camera above the face (positive: look down on it)."""
    fov_deg: float = 18.0
    """Vertical field of view of the perspective camera."""
    margin: float = 1.08
    """Framing margin: 1.0 fits the template's silhouette box exactly to the image."""
    specular: float = 0.18
    """Strength of the key light's highlight (0 for matte)."""
    samples: int = 0
    """Multisample anti-aliasing samples (GL backend; 0 or 1: off). 4 gives smoother edges at
    about half the speed on llvmpipe."""
    backend: str = "auto"
    """``egl`` (moderngl + EGL, e.g. Mesa llvmpipe), ``numpy`` (software), or ``auto``."""
    check_frames: bool = True
    """Raise when a frame looks wrong (no face inside its box, paint outside it)."""

    def validate(self) -> RenderOptions:
        for name in ("width", "height"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 16 or value > 8192 or value % 2:
                raise ConfigError(f"{name} must be an even integer in [16, 8192], got {value!r}")
        for name in ("background", "color"):
            value = getattr(self, name)
            if len(value) != 3 or not all(0.0 <= float(c) <= 1.0 for c in value):
                raise ConfigError(f"{name} must be three numbers in [0, 1], got {value!r}")
        if self.up not in AXES or self.front not in AXES:
            raise ConfigError(f"up and front must be one of {', '.join(AXES)}")
        if self.up[1] == self.front[1]:
            raise ConfigError(f"up ({self.up}) and front ({self.front}) must be different axes")
        if not 1.0 <= self.fov_deg <= 120.0:
            raise ConfigError(f"fov_deg must be in [1, 120], got {self.fov_deg}")
        if not 0.5 <= self.margin <= 10.0:
            raise ConfigError(f"margin must be in [0.5, 10], got {self.margin}")
        if not -89.0 <= self.pitch_deg <= 89.0:
            raise ConfigError(f"pitch_deg must be in [-89, 89], got {self.pitch_deg}")
        if self.samples < 0 or self.samples > 16:
            raise ConfigError(f"samples must be in [0, 16], got {self.samples}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        return self


def parse_color(text: str) -> Color:
    """``#rrggbb``, ``#rgb`` or ``r,g,b`` -> RGB in [0, 1].

    ``r,g,b`` is read as 0-1 floats unless a component exceeds 1, then as 0-255 values.
    """
    text = text.strip()
    match = re.fullmatch(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})", text)
    if match and (text.startswith("#") or len(text) == 6):
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return tuple(int(digits[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]
    parts = [p for p in re.split(r"[,\s]+", text) if p]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 3:
        raise ConfigError(f"not a colour: {text!r} (use #rrggbb or r,g,b)")
    if any(v > 1.0 for v in values):  # 0-255 integers
        values = [v / 255.0 for v in values]
    if not all(0.0 <= v <= 1.0 for v in values):
        raise ConfigError(f"colour components out of range: {text!r}")
    return (values[0], values[1], values[2])
