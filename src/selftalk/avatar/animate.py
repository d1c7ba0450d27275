"""Speech -> ARKit curves -> an animation of the user's own glTF / VRM avatar.

The curves come from the model's vertex motion on the bundled head, solved into the head's 52
ARKit blendshapes (``selftalk.export.arkit``); they drive the avatar's targets as
``selftalk.avatar.targets`` plans. The avatar file is copied unchanged except for what an
animation needs: new accessors, buffer views and one animation, with their data appended after
the existing buffer bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.arkit import ALPHABETICAL
from selftalk.avatar.gltf_file import SUFFIXES, GltfFile, read_gltf
from selftalk.avatar.targets import Plan, plan_drives, read_mapping
from selftalk.avatar.write import add_animation
from selftalk.checks import frame_rate
from selftalk.config import SAMPLE_RATE
from selftalk.errors import InputError
from selftalk.outputs import check_output_file, same_file


@dataclass(kw_only=True)
class AvatarAnimation:
    """What :func:`drive_avatar` wrote, and which targets it drove."""

    path: Path
    audio_path: Path | None
    frames: int
    fps: float
    plan: Plan

    def report(self) -> list[str]:
        """Lines for a person: the targets each ARKit shape drove, and what the avatar lacks."""
        plan = self.plan
        meshes = plan.meshes
        used = sorted({d.mesh for d in plan.drives})
        lines = [
            f"{self.path}: {self.frames} frames at {self.fps:g} fps; drove "
            f"{len(plan.driven)} of 52 ARKit shapes"
            + (f" and VRM {', '.join(plan.presets)}" if plan.presets else "")
            + f" on {len(used)} mesh(es): {', '.join(meshes[m].name for m in used)}"
            + (f"; audio {self.audio_path.name}" if self.audio_path else "")
        ]
        for source in [*plan.driven, *(f"vrm:{p}" for p in plan.presets)]:
            targets = [
                f"{meshes[d.mesh].name}/{meshes[d.mesh].target_names[d.index] or d.index}"
                + (f"×{d.weight:g}" if d.weight != 1 else "")
                + (f" (via {d.via})" if d.via not in ("name", f"vrm:{source[4:]}") else "")
                for d in plan.drives
                if d.source == source
            ]
            lines.append(f"  {source} -> {', '.join(targets)}")
        if plan.missing:
            lines.append(
                f"  no target for {len(plan.missing)} ARKit shapes"
                + (" (VRM presets stand in for some)" if plan.presets else "")
                + f": {', '.join(plan.missing)}"
            )
        return lines


def check_output(
    avatar: str | Path,
    output: str | Path,
    *,
    inputs: Iterable[str | Path | None] = (),
    audio: str | Path | np.ndarray | None = None,
    chosen: bool = False,
    force: bool = False,
) -> Path:
    """The output path, checked before any work (:mod:`selftalk.outputs`): a glTF/VRM suffix,
    never an input (the avatar itself, ``inputs`` such as the audio or the map, through links
    too); with ``audio`` the ``.wav`` beside it too. ``chosen``: selftalk chose the path, so
    it replaces only a file selftalk wrote, or with ``force`` (as the ``.wav`` always is)."""
    output = Path(output)
    if output.suffix.lower() not in SUFFIXES:
        raise InputError(output, f"an animated avatar is written as {', '.join(SUFFIXES)}")
    if same_file(output, avatar):
        raise InputError(output, "would replace the input avatar: choose another -o")
    inputs = [avatar, *inputs]
    check_output_file(output, inputs=inputs, chosen=chosen, force=force)
    wav = output.with_suffix(".wav")
    if audio is not None and not (isinstance(audio, (str, Path)) and same_file(wav, audio)):
        check_output_file(wav, inputs=inputs, chosen=True, force=force)
    return output


def drive_avatar(
    avatar: str | Path,
    arkit: np.ndarray,
    output: str | Path,
    *,
    fps: float,
    mapping: str | Path | None = None,
    audio: str | Path | np.ndarray | None = None,
    audio_rate: int = SAMPLE_RATE,
    gltf: GltfFile | None = None,
    plan: Plan | None = None,
    force: bool = False,
) -> AvatarAnimation:
    """Write ``avatar`` with an animation of (T, 52) ``arkit`` weights (``selftalk.arkit.ALPHABETICAL``
    order) at ``fps`` to ``output``; ``audio`` goes beside it as ``<stem>.wav`` (replacing a
    file there only if selftalk wrote it, or with ``force``)."""
    audio_file = audio if isinstance(audio, (str, Path)) else None
    output = check_output(avatar, output, inputs=[audio_file, mapping], audio=audio, force=force)
    fps = frame_rate(fps)
    arkit = np.asarray(arkit, np.float32)
    if arkit.ndim != 2 or arkit.shape[1] != len(ALPHABETICAL) or not len(arkit):
        raise InputError(avatar, f"ARKit weights must be (T, 52), got {arkit.shape}")
    gltf = gltf or read_gltf(avatar)
    plan = plan or plan_drives(gltf, read_mapping(mapping) if mapping else None, mapping)
    _check_relative_files(gltf, output)
    audio_path = output.with_suffix(".wav") if audio is not None else None
    weights = plan.weights(arkit)
    add_animation(
        gltf,
        weights,
        {m: plan.meshes[m].nodes for m in weights},
        fps=fps,
        audio=audio_path.name if audio_path else None,
    )
    blob = gltf.to_bytes(output.suffix)
    if audio_path is not None:
        from selftalk.export.gltf import write_audio

        write_audio(audio_path, audio, audio_rate, force=force)
    from selftalk.io import write_bytes

    write_bytes(output, blob)
    return AvatarAnimation(
        path=output, audio_path=audio_path, frames=len(arkit), fps=float(fps), plan=plan
    )


def _check_relative_files(gltf: GltfFile, output: Path) -> None:
    """Buffers and images kept as files beside a .gltf must stay beside the output too."""
    uris = [
        x.get("uri")
        for key in ("buffers", "images")
        for x in gltf.items(key)
        if isinstance(x, dict) and isinstance(x.get("uri"), str)
    ]
    relative = [u for u in uris if not u.startswith("data:")]
    if relative and output.resolve().parent != gltf.path.resolve().parent:
        raise InputError(
            output,
            f"{gltf.path.name} refers to files beside it ({relative[0]}…): write the output "
            "into the same folder",
        )


def arkit_curves(
    loaded,
    audio: np.ndarray,
    *,
    subject=None,
    template_path=None,
    window=20.0,
    source: str | Path = "audio",
):
    """(T, 52) ARKit weights (``selftalk.arkit.ALPHABETICAL`` order) and the fps, from a model on the
    bundled head's topology: its vertex motion solved into the head's blendshapes. ``source``
    names the audio in errors."""
    from selftalk.export.arkit import bundled_basis, solve_weights
    from selftalk.inference.predict import predict_motion

    basis = bundled_basis()
    bare = subject is None and template_path is None and loaded.mesh is None
    if bare and not loaded.templates:  # a model directory without topology files
        template = basis.neutral
    else:
        template = loaded.template(subject=subject, mesh_path=template_path)
    if basis.n_vertices != len(template):
        raise InputError(
            loaded.directory,
            f"animates {len(template)} vertices; --avatar needs a model on the bundled head "
            f"({basis.n_vertices} vertices), whose ARKit shapes it solves for",
        )
    motion = predict_motion(loaded.model, audio, template, window=window, source=str(source))
    result = solve_weights(motion, basis, neutral=template)
    order = [result.names.index(name) for name in ALPHABETICAL]
    return result.weights[:, order], float(loaded.model.config.fps)


def animate_avatar(
    loaded,
    audio_path: str | Path,
    avatar: str | Path,
    output: str | Path,
    *,
    mapping: str | Path | None = None,
    subject: str | None = None,
    template_path: str | Path | None = None,
    window: float = 20.0,
    chosen: bool = False,
    force: bool = False,
) -> AvatarAnimation:
    """Animate ``avatar`` from speech in ``audio_path`` with ``loaded`` (a LoadedModel).

    ``chosen``: selftalk chose ``output`` (the user named none); see :func:`check_output`."""
    from selftalk.audio import load_audio

    inputs = [audio_path, mapping, template_path]
    check_output(avatar, output, inputs=inputs, audio=audio_path, chosen=chosen, force=force)
    gltf = read_gltf(avatar)  # a bad avatar fails before the model runs
    plan = plan_drives(gltf, read_mapping(mapping) if mapping else None, mapping)
    from selftalk.inference.predict import max_audio_seconds

    longest, why = max_audio_seconds(loaded.model)
    audio = load_audio(audio_path, max_seconds=longest, why=why)
    arkit, fps = arkit_curves(
        loaded,
        audio,
        subject=subject,
        template_path=template_path,
        window=window,
        source=audio_path,
    )
    return drive_avatar(
        avatar,
        arkit,
        output,
        fps=fps,
        audio=audio,
        gltf=gltf,
        plan=plan,
        mapping=mapping,
        force=force,
    )
