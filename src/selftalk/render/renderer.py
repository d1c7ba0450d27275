"""The offscreen renderer: a mesh topology + camera -> one RGB image per frame of a motion."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Self

import numpy as np

from selftalk.render.camera import Camera, frame_camera
from selftalk.render.check import RenderError, check_frame
from selftalk.render.normals import VertexNormals
from selftalk.render.options import RenderOptions

BOX_MARGIN = 3  # pixels added around the projected box before checking for paint outside it


class Renderer:
    """Draws frames of one topology with smooth shading, from a camera framed on ``template``.

    Usage::

        with Renderer(faces, template, RenderOptions(width=512, height=512)) as renderer:
            image = renderer.render(vertices)          # (H, W, 3) uint8
            for image in renderer.render_motion(motion): ...

    ``backend`` ``auto`` tries EGL (moderngl) and falls back to the NumPy rasteriser with a
    warning; ``egl`` raises :class:`RenderError` when EGL is unavailable.
    """

    def __init__(
        self,
        faces: np.ndarray,
        template: np.ndarray,
        options: RenderOptions | None = None,
        *,
        camera: Camera | None = None,
    ):
        self.options = (options or RenderOptions()).validate()
        self.faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
        self.template = np.asarray(template, dtype=np.float32).reshape(-1, 3)
        n = len(self.template)
        if len(self.faces) == 0:
            raise RenderError("the mesh has no triangles to draw")
        if self.faces.min() < 0 or self.faces.max() >= n:
            raise RenderError(f"a face refers to a vertex outside the {n} of the template")
        self.camera = camera or frame_camera(self.template, self.options)
        self.normals = VertexNormals(self.faces, n)
        self._used = np.unique(self.faces)  # vertices that are drawn (for the frame box)
        self._background = np.round(np.asarray(self.options.background) * 255).astype(np.uint8)
        self._flat_color = np.broadcast_to(
            np.asarray(self.options.color, np.float32), (n, 3)
        ).copy()
        self.backend = self._open_backend()

    @property
    def n_vertices(self) -> int:
        return len(self.template)

    def _open_backend(self):
        choice = self.options.backend
        n = self.n_vertices
        if choice in ("auto", "egl"):
            from selftalk.render.gl import GLBackend

            try:
                return GLBackend(self.faces, n, self.camera, self.options)
            except RenderError as error:
                if choice == "egl":
                    raise
                warnings.warn(
                    f"EGL rendering unavailable ({error}); using the NumPy rasteriser",
                    RuntimeWarning,
                    stacklevel=3,
                )
        from selftalk.render.raster import NumpyBackend

        return NumpyBackend(self.faces, n, self.camera, self.options)

    def render(self, vertices: np.ndarray, colors: np.ndarray | None = None) -> np.ndarray:
        """(V, 3) positions (+ optional (V, 3) RGB colours in [0, 1]) -> (H, W, 3) uint8."""
        vertices = np.asarray(vertices, dtype=np.float32).reshape(self.n_vertices, 3)
        return self._draw(vertices, self.normals(vertices), colors)

    def render_motion(
        self, motion: np.ndarray, colors: np.ndarray | None = None
    ) -> Iterator[np.ndarray]:
        """Yield one (H, W, 3) uint8 image per frame of (T, V, 3) ``motion``.

        ``colors``: None, (V, 3) for every frame, or (T, V, 3) per frame.
        """
        motion = np.asarray(motion, dtype=np.float32).reshape(len(motion), self.n_vertices, 3)
        per_frame = colors is not None and np.ndim(colors) == 3
        for t, vertices in enumerate(motion):
            yield self.render(vertices, colors[t] if per_frame else colors)

    def _draw(
        self, vertices: np.ndarray, normals: np.ndarray, colors: np.ndarray | None
    ) -> np.ndarray:
        if colors is None:
            colors = self._flat_color
        else:
            colors = np.asarray(colors, dtype=np.float32).reshape(self.n_vertices, 3)
        image = self.backend.draw(vertices, normals, colors)
        if self.options.check_frames:
            check_frame(image, self.box(vertices), self._background)
        return image

    def box(self, vertices: np.ndarray) -> tuple[int, int, int, int]:
        """Projected pixel box (x0, y0, x1, y1), end exclusive, of the vertices used by faces."""
        xy, _ = self.camera.project(vertices[self._used])
        lo = np.floor(xy.min(axis=0)).astype(int) - BOX_MARGIN
        hi = np.ceil(xy.max(axis=0)).astype(int) + BOX_MARGIN
        return int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
