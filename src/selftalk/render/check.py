"""Frame sanity checks: a broken renderer raises instead of writing black or empty frames."""

from __future__ import annotations

import numpy as np

from selftalk.errors import SelfTalkError

# A pixel is "painted" when a channel differs from the background by more than this (0-255).
TOLERANCE = 6
# Share of the mesh's projected box (sampled on a grid) that must be painted.
MIN_COVERAGE = 0.03
STRIDE = 4


class RenderError(SelfTalkError):
    """The renderer could not draw a frame, or drew one that is visibly wrong."""


def painted(image: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 image -> (H, W) bool: pixels that differ from the background colour."""
    return np.abs(image.astype(np.int16) - background.astype(np.int16)).max(axis=2) > TOLERANCE


def check_frame(image: np.ndarray, box: tuple[int, int, int, int], background: np.ndarray) -> None:
    """Raise :class:`RenderError` unless the mesh shows inside its box and nothing outside it.

    ``box`` is the mesh's projected (x0, y0, x1, y1) pixel box, end exclusive, already grown by
    a small margin. Checks a grid of every ``STRIDE``-th pixel, so it costs a fraction of a
    millisecond. A black frame over a non-black background fails the outside test; an empty
    frame fails the inside test.
    """
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(box[0], 0), max(box[1], 0), min(box[2], w), min(box[3], h)
    if x1 <= x0 or y1 <= y0:
        raise RenderError("the mesh is outside the image: check the camera (up/front axes)")
    sample = image[::STRIDE, ::STRIDE]
    if int(sample.max()) - int(sample.min()) <= TOLERANCE:
        raise RenderError("the frame is a single flat colour: the renderer drew nothing")
    grid = painted(sample, background)
    ys = np.arange(0, h, STRIDE)[:, None]
    xs = np.arange(0, w, STRIDE)[None, :]
    inside = (ys >= y0) & (ys < y1) & (xs >= x0) & (xs < x1)
    n_inside = int(inside.sum())
    if n_inside and grid[inside].mean() < MIN_COVERAGE:
        raise RenderError(
            f"the frame shows no mesh where the camera puts it ({grid[inside].mean():.1%} of its "
            "box painted): the renderer produced an empty frame"
        )
    outside = ~inside
    if outside.any() and grid[outside].mean() > 0.01:
        raise RenderError(
            f"{grid[outside].mean():.0%} of the pixels outside the mesh's box are not background: "
            "the renderer produced a corrupt (e.g. black) frame"
        )
