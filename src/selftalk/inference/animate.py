"""Audio in, a talking face out: predict motion and write it in the format a suffix asks for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.audio import SAMPLE_RATE, load_audio
from selftalk.errors import InputError, OutputError
from selftalk.export.gltf import audio_beside
from selftalk.inference.formats import OUTPUTS
from selftalk.inference.loading import LoadedModel
from selftalk.inference.predict import max_audio_seconds, predict_motion
from selftalk.io import save_npy
from selftalk.outputs import check_output_file, same_file


@dataclass(kw_only=True)
class Animation:
    """What :func:`animate` made: the output path, the motion and its frame rate."""

    path: Path
    motion: np.ndarray
    fps: float
    seconds: float


def output_path(audio: str | Path, output: str | Path | None) -> Path:
    """``output``, or an ``.mp4`` beside the audio; the suffix must be one of :data:`OUTPUTS`."""
    path = Path(output) if output is not None else Path(audio).with_suffix(".mp4")
    if path.suffix.lower() not in OUTPUTS:
        raise OutputError(path, f"unknown output type {path.suffix!r} (use {', '.join(OUTPUTS)})")
    return path


def check_outputs(
    audio: str | Path,
    output: str | Path | None,
    *,
    template: str | Path | None = None,
    force: bool = False,
) -> Path:
    """Check, before any work, every file :func:`animate` would write (see
    :mod:`selftalk.outputs`); returns the output path."""
    path = output_path(audio, output)
    inputs = [audio, template]
    check_output_file(path, inputs=inputs, chosen=output is None, force=force)
    if path.suffix.lower() == ".glb" and not same_file(audio_beside(path), audio):
        check_output_file(audio_beside(path), inputs=inputs, chosen=True, force=force)
    return path


def animate(
    loaded: LoadedModel,
    audio_path: str | Path,
    output: str | Path | None = None,
    *,
    subject: str | None = None,
    template_path: str | Path | None = None,
    window: float = 20.0,
    size: int | tuple[int, int] = 512,
    force: bool = False,
    engine=None,
) -> Animation:
    """Animate ``audio_path`` with ``loaded`` and write ``output`` (type from its suffix);
    ``engine`` runs the model instead of torch (see :func:`predict_motion`).

    ``force`` lets paths selftalk chooses (``output=None``'s ``AUDIO.mp4``, a ``.glb``'s
    ``.wav``) replace files selftalk did not write."""
    path = check_outputs(audio_path, output, template=template_path, force=force)
    template = loaded.template(subject=subject, mesh_path=template_path)
    longest, why = max_audio_seconds(loaded.model)
    audio = load_audio(audio_path, max_seconds=longest, why=why)
    motion = predict_motion(
        loaded.model, audio, template, window=window, source=audio_path, engine=engine
    )
    fps = loaded.model.config.fps
    write_motion(
        path,
        motion,
        audio=audio,
        fps=fps,
        faces=loaded.faces,
        template=template,
        size=size,
        force=force,
        audio_path=audio_path,
    )
    return Animation(path=path, motion=motion, fps=fps, seconds=len(audio) / SAMPLE_RATE)


def write_motion(
    path: Path,
    motion: np.ndarray,
    *,
    audio: np.ndarray,
    fps: float,
    faces: np.ndarray | None,
    template: np.ndarray,
    size: int | tuple[int, int] = 512,
    force: bool = False,
    audio_path: str | Path | None = None,
) -> None:
    """Write (T, V, 3) ``motion`` as ``.npy``, ``.mp4``, ``.glb`` or ARKit ``.csv``/``.json``.

    ``size``: the video's (width, height), or one number for a square. ``audio_path``: the
    file ``audio`` came from; a ``.glb`` whose ``.wav`` would be that file keeps it as is."""
    suffix = path.suffix.lower()
    if suffix == ".npy":
        save_npy(path, motion)
        return
    if suffix in (".csv", ".json"):
        from selftalk.export.arkit import bundled_basis, export_arkit

        basis = bundled_basis()
        if basis.deltas.shape[1] != motion.shape[1]:
            raise InputError(
                path,
                "ARKit curves need a blendshape basis on this model's "
                "topology: write .npy and use `selftalk export --basis`",
            )
        export_arkit(path, motion, fps=fps, basis=basis, neutral=template)
        return
    if faces is None:
        raise InputError(
            path,
            "the model directory has no mesh.ply, so there are no faces to "
            "draw: write .npy instead, or add the mesh to the model directory",
        )
    if suffix == ".glb":
        from selftalk.export.gltf import write_glb

        beside = audio_path is not None and same_file(audio_beside(path), audio_path)
        sound = audio_path if beside else audio  # never rewrite the input in its own place
        write_glb(path, motion, faces, fps=fps, template=template, audio=sound, force=force)
    else:
        from selftalk.render.movie import render_video
        from selftalk.render.options import RenderOptions

        width, height = (size, size) if isinstance(size, int) else size
        render_video(
            motion,
            faces,
            out=path,
            fps=fps,
            audio=audio,
            template=template,
            options=RenderOptions(width=width, height=height),
        )
