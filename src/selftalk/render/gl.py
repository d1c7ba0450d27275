"""OpenGL backend: moderngl on a headless EGL context (Mesa llvmpipe on a CPU-only machine).

Needs the Debian packages ``libegl1``, ``libgl1``, ``libegl-mesa0`` and ``libgl1-mesa-dri``
(see ``scripts/system-packages.txt``). No window system and no GPU are required.
"""

from __future__ import annotations

import numpy as np

from selftalk.render.camera import Camera
from selftalk.render.check import RenderError
from selftalk.render.options import RenderOptions
from selftalk.render.shading import VERTEX_SHADER, fragment_shader


class GLBackend:
    """Draws one mesh with per-vertex positions, normals and colours into an offscreen image."""

    name = "egl"

    def __init__(self, faces: np.ndarray, n_vertices: int, camera: Camera, options: RenderOptions):
        try:
            import moderngl
        except ImportError as error:
            raise RenderError(f"moderngl is not installed ({error})") from None
        try:
            self.ctx = moderngl.create_standalone_context(backend="egl")
        except Exception as error:  # noqa: BLE001 - no libEGL, no driver, no device: all surface here
            raise RenderError(f"cannot create a headless EGL context ({error})") from None
        ctx = self.ctx
        self.info = f"{ctx.info.get('GL_RENDERER', '?')} / {ctx.info.get('GL_VERSION', '?')}"
        self.width, self.height = options.width, options.height
        self.background = tuple(options.background)
        self.program = ctx.program(vertex_shader=VERTEX_SHADER, fragment_shader=fragment_shader())
        self.program["u_view"].write(camera.view.T.astype("f4").tobytes())
        self.program["u_projection"].write(camera.projection.T.astype("f4").tobytes())
        self.program["u_specular"].value = float(options.specular)

        self.geometry = ctx.buffer(reserve=n_vertices * 6 * 4, dynamic=True)
        self.colors = ctx.buffer(reserve=n_vertices * 3 * 4, dynamic=True)
        self.indices = ctx.buffer(np.ascontiguousarray(faces, dtype="u4").tobytes())
        self.vao = ctx.vertex_array(
            self.program,
            [(self.geometry, "3f 3f", "in_position", "in_normal"), (self.colors, "3f", "in_color")],
            index_buffer=self.indices,
            index_element_size=4,
        )
        size = (self.width, self.height)
        samples = options.samples if options.samples > 1 else 0
        samples = min(samples, ctx.max_samples)
        self.resolved = ctx.framebuffer(
            color_attachments=[ctx.renderbuffer(size, 3)],
            depth_attachment=ctx.depth_renderbuffer(size),
        )
        if samples:
            self.target = ctx.framebuffer(
                color_attachments=[ctx.renderbuffer(size, 4, samples=samples)],
                depth_attachment=ctx.depth_renderbuffer(size, samples=samples),
            )
        else:
            self.target = self.resolved
        self._last_colors: np.ndarray | None = None
        self._check("setting up")

    def draw(self, vertices: np.ndarray, normals: np.ndarray, colors: np.ndarray) -> np.ndarray:
        """(V, 3) positions, normals, colours -> (H, W, 3) uint8 image (row 0 at the top)."""
        import moderngl

        ctx = self.ctx
        self.geometry.write(np.concatenate([vertices, normals], axis=1).astype("f4").tobytes())
        if self._last_colors is not colors:
            self.colors.write(np.ascontiguousarray(colors, dtype="f4").tobytes())
            self._last_colors = colors
        self.target.use()
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.CULL_FACE)
        self.target.clear(*self.background, 1.0, depth=1.0)
        self.vao.render(moderngl.TRIANGLES)
        if self.target is not self.resolved:
            ctx.copy_framebuffer(self.resolved, self.target)
        data = self.resolved.read(components=3, alignment=1)
        self._check("drawing")
        image = np.frombuffer(data, np.uint8).reshape(self.height, self.width, 3)
        return np.ascontiguousarray(image[::-1])

    def _check(self, stage: str) -> None:
        error = self.ctx.error
        if error != "GL_NO_ERROR":
            raise RenderError(f"OpenGL error while {stage}: {error}")

    def close(self) -> None:
        ctx, self.ctx = getattr(self, "ctx", None), None
        if ctx is not None:
            ctx.release()
