"""Offscreen rendering of face motions: images, MP4 videos, comparisons and error maps.

Public API::

    from selftalk.render import RenderOptions, Renderer, render_video

    with Renderer(faces, template, RenderOptions(width=512, height=512)) as renderer:
        image = renderer.render(vertices)                       # (H, W, 3) uint8
    render_video(motion, faces, audio="speech.wav", fps=30, out="speech.mp4")

Heavy modules (moderngl, av, Pillow) are imported only when used.
"""

from selftalk.render.camera import Camera, frame_camera
from selftalk.render.check import RenderError
from selftalk.render.motion import as_motion, load_motion
from selftalk.render.movie import ErrorMapOptions, render_video
from selftalk.render.options import RenderOptions, parse_color
from selftalk.render.renderer import Renderer
from selftalk.render.video import VideoInfo, VideoOptions, write_video

__all__ = [
    "Camera",
    "ErrorMapOptions",
    "RenderError",
    "RenderOptions",
    "Renderer",
    "VideoInfo",
    "VideoOptions",
    "as_motion",
    "frame_camera",
    "load_motion",
    "parse_color",
    "render_video",
    "write_video",
]
