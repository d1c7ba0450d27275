"""Side-by-side panels with labels, per-vertex error colours and a colour-bar legend.

Text is drawn with Pillow's built-in font (no font files needed). Labels and the legend are
drawn once; composing a frame is then one array concatenation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Viridis (CC0, perceptually uniform, colour-blind safe), sampled at 9 evenly spaced stops.
VIRIDIS = (
    np.array(
        [
            [0x44, 0x01, 0x54],
            [0x48, 0x28, 0x78],
            [0x3E, 0x49, 0x89],
            [0x31, 0x68, 0x8E],
            [0x26, 0x82, 0x8E],
            [0x1F, 0x9E, 0x89],
            [0x35, 0xB7, 0x79],
            [0x6E, 0xCE, 0x58],
            [0xFD, 0xE7, 0x25],
        ],
        dtype=np.float64,
    )
    / 255.0
)


def colormap(values: np.ndarray, vmax: float, vmin: float = 0.0) -> np.ndarray:
    """Map values (any shape) to RGB in [0, 1] (shape + (3,)) with viridis over [vmin, vmax]."""
    span = max(float(vmax) - float(vmin), 1e-30)
    x = np.clip((np.asarray(values, np.float64) - vmin) / span, 0.0, 1.0)
    stops = np.linspace(0.0, 1.0, len(VIRIDIS))
    return np.stack([np.interp(x, stops, VIRIDIS[:, c]) for c in range(3)], axis=-1).astype(
        np.float32
    )


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1, or built without FreeType: the small bitmap font
        return ImageFont.load_default()


def _to_rgb255(color: Sequence[float]) -> tuple[int, int, int]:
    return tuple(round(float(c) * 255) for c in color)  # type: ignore[return-value]


def text_strip(
    width: int, height: int, text: str, *, background: Sequence[float], foreground: Sequence[float]
) -> np.ndarray:
    """(height, width, 3) uint8 strip with ``text`` centred on it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), _to_rgb255(background))
    draw = ImageDraw.Draw(image)
    font = _font(max(8, int(height * 0.6)))
    draw.text((width / 2, height / 2), text, fill=_to_rgb255(foreground), font=font, anchor="mm")
    return np.asarray(image)


def colorbar(
    height: int,
    vmax: float,
    *,
    unit: str,
    background: Sequence[float],
    foreground: Sequence[float],
    width: int | None = None,
) -> np.ndarray:
    """(height, width, 3) uint8 vertical viridis bar, 0 at the bottom, ``vmax`` at the top."""
    from PIL import Image, ImageDraw

    width = width or max(72, height // 6)
    image = Image.new("RGB", (width, height), _to_rgb255(background))
    draw = ImageDraw.Draw(image)
    font = _font(max(8, height // 36))
    top, bottom = int(height * 0.08), int(height * 0.92)
    bar_x0, bar_x1 = int(width * 0.12), int(width * 0.34)
    ramp = colormap(np.linspace(1.0, 0.0, bottom - top), 1.0)
    pixels = np.asarray(image).copy()
    pixels[top:bottom, bar_x0:bar_x1] = np.round(ramp[:, None, :] * 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    fg = _to_rgb255(foreground)
    for fraction in (0.0, 0.5, 1.0):
        y = bottom - fraction * (bottom - top)
        draw.line([(bar_x1, y), (bar_x1 + 4, y)], fill=fg)
        draw.text((bar_x1 + 7, y), f"{fraction * vmax:.3g}", fill=fg, font=font, anchor="lm")
    if unit:
        draw.text((width / 2, top / 2), unit, fill=fg, font=font, anchor="mm")
    return np.asarray(image)


@dataclass(kw_only=True)
class Layout:
    """Panels of equal size side by side, each under its label, and an optional legend."""

    labels: Sequence[str]
    panel_width: int
    panel_height: int
    background: Sequence[float]
    foreground: Sequence[float] = (0.1, 0.1, 0.1)
    legend: np.ndarray | None = None  # (panel_height + label height, w, 3) uint8

    def __post_init__(self) -> None:
        self.label_height = 0
        self._strips: list[np.ndarray] = []
        if any(self.labels):
            height = max(16, self.panel_height // 16)
            self.label_height = height + height % 2  # even, for H.264
            self._strips = [
                text_strip(
                    self.panel_width,
                    self.label_height,
                    text,
                    background=self.background,
                    foreground=self.foreground,
                )
                for text in self.labels
            ]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of a composed frame; both even."""
        width = self.panel_width * len(self.labels)
        if self.legend is not None:
            width += self.legend.shape[1]
        return width + width % 2, self.panel_height + self.label_height

    def compose(self, panels: Sequence[np.ndarray]) -> np.ndarray:
        """One (H, W, 3) uint8 frame from one (panel_height, panel_width, 3) image per label."""
        columns = [
            np.concatenate([strip, panel], axis=0) if self._strips else panel
            for strip, panel in zip(self._strips or [None] * len(panels), panels)
        ]
        if self.legend is not None:
            columns.append(self.legend)
        frame = np.concatenate(columns, axis=1)
        width, _ = self.size
        if frame.shape[1] < width:  # pad to an even width for H.264
            pad = np.broadcast_to(frame[:, -1:], (frame.shape[0], width - frame.shape[1], 3))
            frame = np.concatenate([frame, pad], axis=1)
        return np.ascontiguousarray(frame)
