"""Software backend: a vectorised NumPy z-buffer rasteriser, used when EGL is unavailable.

Hand-written because no maintained pure-Python rasteriser fits: pyrender and trimesh need
OpenGL themselves, and pytorch3d is a heavy compiled dependency. Each triangle's candidate
pixels (its bounding box) are enumerated in bulk, barycentric coordinates decide coverage,
and a sort by (pixel, depth) keeps the nearest fragment. Shading is the same model as the
GL backend (:mod:`selftalk.render.shading`), with perspective-correct interpolation.
"""

from __future__ import annotations

import numpy as np

from selftalk.render.camera import Camera
from selftalk.render.options import RenderOptions
from selftalk.render.shading import shade

MAX_CANDIDATES = 1 << 22  # candidate pixels handled at once (bounds memory to ~200 MB)


class NumpyBackend:
    """Same interface as :class:`selftalk.render.gl.GLBackend`, in pure NumPy (slower)."""

    name = "numpy"
    info = "NumPy software rasteriser"

    def __init__(self, faces: np.ndarray, n_vertices: int, camera: Camera, options: RenderOptions):
        self.faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
        self.camera = camera
        self.width, self.height = options.width, options.height
        self.background = np.asarray(options.background, dtype=np.float64)
        self.specular = float(options.specular)

    def draw(self, vertices: np.ndarray, normals: np.ndarray, colors: np.ndarray) -> np.ndarray:
        """(V, 3) positions, normals, colours -> (H, W, 3) uint8 image (row 0 at the top)."""
        h, w = self.height, self.width
        view_pos = self.camera.to_view(np.asarray(vertices, np.float64))
        view_nrm = np.asarray(normals, np.float64) @ self.camera.view[:3, :3].T
        xy, depth = self.camera.project(vertices)
        inv_w = 1.0 / np.maximum(-view_pos[:, 2], 1e-12)

        zbuf = np.full(h * w, np.inf)
        tri_buf = np.full(h * w, -1, dtype=np.int64)
        bary_buf = np.zeros((h * w, 3))
        for tri, pix, bary, z in _fragments(xy, depth, self.faces, w, h):
            order = np.lexsort((z, pix))
            pix, z = pix[order], z[order]
            first = np.r_[True, pix[1:] != pix[:-1]]
            keep = order[first]
            pix, z = pix[first], z[first]
            nearer = z < zbuf[pix]
            pix, keep = pix[nearer], keep[nearer]
            zbuf[pix] = z[nearer]
            tri_buf[pix] = tri[keep]
            bary_buf[pix] = bary[keep]

        image = np.broadcast_to(self.background, (h * w, 3)).copy()
        hit = np.flatnonzero(tri_buf >= 0)
        if len(hit):
            corners = self.faces[tri_buf[hit]]  # (N, 3) vertex ids
            b = bary_buf[hit] * inv_w[corners]  # perspective-correct weights
            b /= b.sum(axis=1, keepdims=True)

            def interpolate(values: np.ndarray) -> np.ndarray:
                return np.einsum("nk,nkc->nc", b, values[corners])

            image[hit] = shade(
                interpolate(view_pos),
                interpolate(view_nrm),
                interpolate(np.asarray(colors, np.float64)),
                self.specular,
            )
        return np.round(image.reshape(h, w, 3) * 255).astype(np.uint8)

    def close(self) -> None:
        pass


def _fragments(xy: np.ndarray, depth: np.ndarray, faces: np.ndarray, width: int, height: int):
    """Yield (triangle, flat pixel, screen barycentrics (N, 3), depth) in bounded chunks."""
    corners = xy[faces]  # (F, 3, 2)
    lo = np.ceil(corners.min(axis=1) - 0.5).astype(np.int64)
    hi = np.floor(corners.max(axis=1) - 0.5).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [width - 1, height - 1])
    size = np.maximum(hi - lo + 1, 0)
    counts = size[:, 0] * size[:, 1]
    valid = np.flatnonzero((counts > 0) & np.all(np.abs(depth[faces]) <= 1.0, axis=1))
    if not len(valid):
        return
    cumulative = np.cumsum(counts[valid])
    start = 0
    while start < len(valid):
        base = cumulative[start - 1] if start else 0
        stop = int(np.searchsorted(cumulative, base + MAX_CANDIDATES, side="right"))
        stop = max(stop, start + 1)
        chunk = valid[start:stop]
        start = stop
        n = counts[chunk]
        tri = np.repeat(chunk, n)
        offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        width_of = np.repeat(size[chunk, 0], n)
        px = np.repeat(lo[chunk, 0], n) + offsets % width_of
        py = np.repeat(lo[chunk, 1], n) + offsets // width_of
        a, b, c = (corners[tri, i] for i in range(3))
        p = np.stack([px + 0.5, py + 0.5], axis=1)
        area = _edge(a, b, c)
        w0, w1, w2 = _edge(b, c, p), _edge(c, a, p), _edge(a, b, p)
        sign = np.sign(area)
        inside = (area != 0) & (w0 * sign >= 0) & (w1 * sign >= 0) & (w2 * sign >= 0)
        if not inside.any():
            continue
        area = area[inside]
        bary = np.stack([w0[inside], w1[inside], w2[inside]], axis=1) / area[:, None]
        tri = tri[inside]
        z = np.einsum("nk,nk->n", bary, depth[faces[tri]])
        yield tri, py[inside] * width + px[inside], bary, z


def _edge(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Twice the signed area of (a, b, p) for (N, 2) points."""
    return (b[:, 0] - a[:, 0]) * (p[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (p[:, 0] - a[:, 0])
