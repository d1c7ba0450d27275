"""``render_video``: motion(s) + mesh faces + audio -> one MP4, with comparisons and error maps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.config import SAMPLE_RATE
from selftalk.errors import ConfigError
from selftalk.render.compose import Layout, colorbar, colormap
from selftalk.render.motion import as_motion
from selftalk.render.options import RenderOptions
from selftalk.render.renderer import Renderer
from selftalk.render.video import VideoInfo, VideoOptions, write_video

AUDIO_FILE_RATE = 48_000  # audio read from a file is resampled to this for the AAC stream


@dataclass(kw_only=True)
class ErrorMapOptions:
    """Colouring by per-vertex distance to a ground truth."""

    vmax: float | None = None
    """Distance shown at the top of the colour scale (after ``scale``); None: the 99th
    percentile over every frame and panel."""
    scale: float = 1.0
    """Multiply distances by this before showing them (1000: metres -> millimetres)."""
    unit: str = ""
    """Unit written above the colour bar, e.g. ``mm``."""
    legend: bool = True
    """Draw a colour bar right of the panels."""


def render_video(
    motion: np.ndarray,
    faces: np.ndarray,
    *,
    out: str | Path,
    fps: float = 30.0,
    audio: str | Path | np.ndarray | None = None,
    audio_rate: int = SAMPLE_RATE,
    template: np.ndarray | None = None,
    compare: Sequence[np.ndarray] = (),
    labels: Sequence[str] | None = None,
    ground_truth: np.ndarray | None = None,
    error_map: ErrorMapOptions | None = None,
    options: RenderOptions | None = None,
    video: VideoOptions | None = None,
) -> VideoInfo:
    """Render (T, V, 3) ``motion`` with (F, 3) ``faces`` to an MP4 at ``out``.

    Args:
        audio: a file path (any format :func:`selftalk.audio.load_audio` reads) or a mono
            float32 array at ``audio_rate``; cut or padded with silence to the video length.
        template: (V, 3) mesh that frames the camera (default: the first frame of ``motion``).
        compare: more (T_i, V, 3) motions drawn in panels right of ``motion``; each is cut to
            T frames, or holds its last frame when shorter.
        labels: one text a panel (default: none for a single panel, else "1", "2", ...).
        ground_truth: (T_g, V, 3); colours each panel's vertices by their distance to it.
    """
    options = (options or RenderOptions()).validate()
    motion = as_motion(motion)
    n_vertices = motion.shape[1]
    motions = [motion] + [
        as_motion(m, n_vertices, name=f"compare[{i}]") for i, m in enumerate(compare)
    ]
    motions = [_fit_length(m, len(motion)) for m in motions]
    if labels is None:
        labels = [""] if len(motions) == 1 else [str(i + 1) for i in range(len(motions))]
    labels = list(labels)
    if len(labels) != len(motions):
        raise ConfigError(f"{len(labels)} labels given for {len(motions)} panels")
    template = (
        motion[0] if template is None else as_motion(template, n_vertices, name="template")[0]
    )

    layout = Layout(
        labels=labels,
        panel_width=options.width,
        panel_height=options.height,
        background=options.background,
    )
    colors: list[np.ndarray | None] = [None] * len(motions)
    if ground_truth is not None:
        error_map = error_map or ErrorMapOptions()
        truth = _fit_length(as_motion(ground_truth, n_vertices, name="ground truth"), len(motion))
        errors = [np.linalg.norm(m - truth, axis=-1) * error_map.scale for m in motions]  # (T, V)
        vmax = error_map.vmax or float(np.percentile(np.concatenate(errors), 99)) or 1.0
        colors = [colormap(e, vmax) for e in errors]
        if error_map.legend:
            layout.legend = colorbar(
                options.height + layout.label_height,
                vmax,
                unit=error_map.unit,
                background=options.background,
                foreground=layout.foreground,
            )

    samples = _audio(audio, audio_rate)
    rate = AUDIO_FILE_RATE if isinstance(audio, (str, Path)) else audio_rate

    with Renderer(faces, template, options) as renderer:
        streams = [renderer.render_motion(m, c) for m, c in zip(motions, colors)]
        frames = (layout.compose(panels) for panels in zip(*streams))
        return write_video(out, frames, fps=fps, audio=samples, audio_rate=rate, options=video)


def _fit_length(motion: np.ndarray, length: int) -> np.ndarray:
    """Cut to ``length`` frames, or repeat the last frame up to it."""
    if len(motion) >= length:
        return motion[:length]
    tail = np.repeat(motion[-1:], length - len(motion), axis=0)
    return np.concatenate([motion, tail], axis=0)


def _audio(audio: str | Path | np.ndarray | None, audio_rate: int) -> np.ndarray | None:
    if audio is None:
        return None
    if isinstance(audio, (str, Path)):
        from selftalk.audio import load_audio

        return load_audio(audio, AUDIO_FILE_RATE)
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim != 1:
        raise ConfigError(f"audio must be a mono (S,) array, got shape {samples.shape}")
    if not 8000 <= audio_rate <= 96000:
        raise ConfigError(f"audio_rate must be in [8000, 96000], got {audio_rate}")
    return samples
