"""Renderer pixels: the face is where the camera says, the jaw moves the mouth pixels, both
backends agree, and broken frames raise instead of being written."""

from __future__ import annotations

import math

import numpy as np
import pytest
from synthetic_head import head, jaw_mask, open_jaw

from selftalk.render import Renderer, RenderError, RenderOptions, frame_camera
from selftalk.render.check import painted
from selftalk.render.normals import vertex_normals

SIZE = 128


@pytest.fixture(scope="module")
def mesh():
    return head()


def _renderer(mesh, backend, **kw):
    vertices, faces = mesh
    return Renderer(faces, vertices, RenderOptions(width=SIZE, height=SIZE, backend=backend, **kw))


def _egl_or_skip():
    try:
        with Renderer(*reversed(head(8, 8)), RenderOptions(width=16, height=16, backend="egl")):
            return "egl"
    except RenderError as error:
        from conftest import ON_CI

        if ON_CI:
            pytest.fail(f"EGL rendering must work on CI: {error}")
        pytest.skip(f"EGL unavailable: {error}")


@pytest.fixture(params=["egl", "numpy"])
def backend(request):
    return _egl_or_skip() if request.param == "egl" else "numpy"


def test_camera_matches_a_pinhole_model(mesh):
    vertices, _ = mesh
    options = RenderOptions(width=160, height=120, fov_deg=20.0)
    camera = frame_camera(vertices, options)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    centre = (lo + hi) / 2
    eye = camera.position
    # default camera: in front (+z) of the template's box centre, looking down -z, y up
    assert eye[0] == pytest.approx(centre[0], abs=1e-6)
    assert eye[1] == pytest.approx(centre[1], abs=1e-6)
    assert eye[2] > hi[2]
    focal = (options.height / 2) / math.tan(math.radians(options.fov_deg) / 2)
    depth = eye[2] - vertices[:, 2]
    expected_x = options.width / 2 + focal * (vertices[:, 0] - eye[0]) / depth
    expected_y = options.height / 2 - focal * (vertices[:, 1] - eye[1]) / depth
    xy, ndc_depth = camera.project(vertices)
    np.testing.assert_allclose(xy[:, 0], expected_x, atol=1e-3)
    np.testing.assert_allclose(xy[:, 1], expected_y, atol=1e-3)
    assert np.all(np.abs(ndc_depth) < 1)
    # framed: everything inside the image, touching the margin on the tighter axis
    assert xy.min() >= 0 and xy[:, 0].max() <= options.width and xy[:, 1].max() <= options.height
    fill_y = (xy[:, 1].max() - xy[:, 1].min()) / options.height
    assert 0.85 < fill_y <= 1 / options.margin + 1e-6


def test_face_and_background_where_the_camera_says(mesh, backend):
    vertices, faces = mesh
    with _renderer(mesh, backend) as renderer:
        image = renderer.render(vertices)
        xy, _ = renderer.camera.project(vertices)
    background = np.array([255, 255, 255])
    mask = painted(image, background)
    # vertices facing the camera project onto painted pixels
    normals = vertex_normals(vertices, faces)
    front = normals[:, 2] > 0.5
    px = np.clip(xy[front].astype(int), 0, SIZE - 1)
    assert mask[px[:, 1], px[:, 0]].mean() > 0.99
    # outside the projected silhouette box: background only
    x0, y0 = np.floor(xy.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(xy.max(axis=0)).astype(int) + 2
    outside = np.ones_like(mask)
    outside[max(y0, 0) : y1, max(x0, 0) : x1] = False
    assert outside.any() and not mask[outside].any()
    # the ellipse fills about pi/4 of its box
    box_fill = mask[max(y0, 0) : y1, max(x0, 0) : x1].mean()
    assert 0.65 < box_fill < 0.9


def test_mouth_region_changes_when_the_jaw_opens(mesh, backend):
    vertices, _ = mesh
    opened = open_jaw(vertices, 0.02)
    with _renderer(mesh, backend) as renderer:
        closed_image = renderer.render(vertices).astype(int)
        open_image = renderer.render(opened).astype(int)
        xy, _ = renderer.camera.project(vertices)
    changed = np.abs(open_image - closed_image).max(axis=2) > 20
    jaw = jaw_mask(vertices)
    mouth_top = xy[jaw, 1].min()
    mouth_rows = np.zeros(SIZE, bool)
    mouth_rows[int(mouth_top) :] = True
    upper_rows = np.zeros(SIZE, bool)
    upper_rows[: int(xy[:, 1].min() + 0.4 * (mouth_top - xy[:, 1].min()))] = True
    assert changed[mouth_rows].sum() > 100  # the jaw region is redrawn
    assert changed[upper_rows].sum() == 0  # the forehead is not


def test_backends_draw_the_same_picture(mesh):
    _egl_or_skip()
    vertices, _ = mesh
    with _renderer(mesh, "egl") as gl, _renderer(mesh, "numpy") as soft:
        a = gl.render(vertices).astype(int)
        b = soft.render(vertices).astype(int)
    differs = np.abs(a - b).max(axis=2) > 24
    assert differs.mean() < 0.02  # only edge pixels may differ
    assert np.abs(a - b).mean() < 2.0


def test_per_vertex_colours_reach_the_pixels(mesh, backend):
    vertices, _ = mesh
    red = np.tile([[1.0, 0.0, 0.0]], (len(vertices), 1)).astype(np.float32)
    with _renderer(mesh, backend, specular=0.0) as renderer:
        image = renderer.render(vertices, colors=red).astype(int)
    face = painted(image, np.array([255, 255, 255]))
    assert (image[face][:, 0] > image[face][:, 1] + 40).mean() > 0.95
    assert np.all(image[face][:, 1] == image[face][:, 2])


@pytest.mark.parametrize("fake", ["black", "background"])
def test_broken_frames_raise(mesh, fake):
    vertices, _ = mesh
    with _renderer(mesh, "numpy") as renderer:
        if fake == "black":
            renderer.backend.draw = lambda *a: np.zeros((SIZE, SIZE, 3), np.uint8)
        else:
            renderer.backend.draw = lambda *a: np.full((SIZE, SIZE, 3), 255, np.uint8)
        with pytest.raises(RenderError):
            renderer.render(vertices)


def test_mesh_outside_the_view_raises(mesh):
    vertices, _ = mesh
    with _renderer(mesh, "numpy") as renderer, pytest.raises(RenderError):
        renderer.render(vertices + np.array([5.0, 0.0, 0.0], np.float32))


def test_normals_match_a_naive_loop():
    vertices, faces = head(10, 12)
    rng = np.random.default_rng(0)
    vertices = vertices + rng.normal(0, 0.003, vertices.shape).astype(np.float32)
    expected = np.zeros((len(vertices), 3))
    for a, b, c in faces:
        n = np.cross(vertices[b] - vertices[a], vertices[c] - vertices[a])
        for i in (a, b, c):
            expected[i] += n
    length = np.linalg.norm(expected, axis=1, keepdims=True)
    expected = np.where(length > 1e-20, expected / np.maximum(length, 1e-20), [0, 0, 1])
    got = vertex_normals(vertices, faces)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    batch = vertex_normals(np.stack([vertices, vertices * 2]), faces)
    np.testing.assert_allclose(batch[1], expected, atol=1e-5)


def test_bad_options_are_config_errors():
    from selftalk.errors import ConfigError
    from selftalk.render import parse_color

    with pytest.raises(ConfigError):
        RenderOptions(width=101).validate()
    with pytest.raises(ConfigError):
        RenderOptions(up="+z", front="-z").validate()
    assert parse_color("#ff8000") == pytest.approx((1.0, 128 / 255, 0.0))
    assert parse_color("255,0,0") == pytest.approx((1.0, 0.0, 0.0))
    assert parse_color("0.5, 0.5, 0.5") == pytest.approx((0.5, 0.5, 0.5))
    with pytest.raises(ConfigError):
        parse_color("purple")


def test_auto_falls_back_to_numpy_when_egl_fails(mesh, monkeypatch):
    from selftalk.render import gl

    def broken(self, *args, **kwargs):
        raise RenderError("cannot create a headless EGL context (test)")

    monkeypatch.setattr(gl.GLBackend, "__init__", broken)
    with pytest.warns(RuntimeWarning, match="NumPy"):
        renderer = _renderer(mesh, "auto")
    with renderer:
        assert renderer.backend.name == "numpy"
        assert painted(renderer.render(mesh[0]), np.array([255, 255, 255])).any()
    with pytest.raises(RenderError, match="EGL"):
        _renderer(mesh, "egl")
