"""Binary glTF 2.0 (``.glb``): a mesh whose morph targets are a PCA basis of the motion, and an
animation of the morph weights (LINEAR, one key a frame). Opens in three.js, Blender and
any glTF viewer; valid under the Khronos glTF validator.

The glTF document is built with ``pygltflib``, which also writes the GLB container (chunk
headers, 4-byte alignment). Vertex positions are written in the motion's own units and axes;
glTF expects metres with +Y up and the face looking along +Z, as FLAME/VOCASET meshes are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk import __version__
from selftalk.checks import frame_rate
from selftalk.config import SAMPLE_RATE
from selftalk.export.basis import MotionBasis, fit_basis
from selftalk.io import atomic_path, write_bytes
from selftalk.outputs import MARK, check_output_file, same_file
from selftalk.render.motion import as_motion
from selftalk.render.normals import VertexNormals

ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
FLOAT, UNSIGNED_SHORT, UNSIGNED_INT = 5126, 5123, 5125


@dataclass(frozen=True, kw_only=True)
class GlbInfo:
    """What :func:`write_glb` wrote."""

    path: Path
    audio_path: Path | None
    frames: int
    fps: float
    n_targets: int
    max_error: float
    rms_error: float
    tolerance: float
    bytes: int


def write_glb(
    path: str | Path,
    motion: np.ndarray,
    faces: np.ndarray,
    *,
    fps: float = 30.0,
    template: np.ndarray | None = None,
    audio: str | Path | np.ndarray | None = None,
    audio_rate: int = SAMPLE_RATE,
    tolerance: float | None = None,
    relative_tolerance: float = 1e-3,
    max_components: int = 64,
    color: tuple[float, float, float] = (0.70, 0.70, 0.74),
    name: str = "face",
    force: bool = False,
) -> GlbInfo:
    """Write (T, V, 3) ``motion`` on (F, 3) ``faces`` as an animated ``.glb``.

    The rest shape is ``template`` (default: the mean frame). The morph targets are the
    fewest principal components of ``motion - template`` whose largest vertex error is within
    ``tolerance`` (default ``relative_tolerance`` x the template's bounding-box diagonal),
    at most ``max_components``. ``audio`` (a file, or a mono array at ``audio_rate``) is
    written beside the ``.glb`` as ``<stem>.wav`` and named in ``asset.extras.audio``; it
    replaces a ``.wav`` there only if selftalk wrote it, or with ``force``.
    """
    fps = frame_rate(fps)
    motion = as_motion(motion)
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    if template is not None:
        template = as_motion(template, motion.shape[1], name="template")[0]
    basis = fit_basis(
        motion,
        base=template,
        tolerance=tolerance,
        relative_tolerance=relative_tolerance,
        max_components=max_components,
    )
    path = Path(path)
    audio_path = (
        write_audio(audio_beside(path), audio, audio_rate, force=force)
        if audio is not None
        else None
    )
    blob = glb_bytes(
        basis,
        faces,
        fps=fps,
        color=color,
        name=name,
        audio_name=audio_path.name if audio_path else None,
    )
    write_bytes(path, blob)
    return GlbInfo(
        path=path,
        audio_path=audio_path,
        frames=len(motion),
        fps=float(fps),
        n_targets=basis.n_components,
        max_error=basis.max_error,
        rms_error=basis.rms_error,
        tolerance=basis.tolerance,
        bytes=len(blob),
    )


def glb_bytes(
    basis: MotionBasis,
    faces: np.ndarray,
    *,
    fps: float,
    color: tuple[float, float, float] = (0.70, 0.70, 0.74),
    name: str = "face",
    audio_name: str | None = None,
    target_names: list[str] | None = None,
) -> bytes:
    """The ``.glb`` file of a motion basis, as bytes. ``target_names`` default to ``pca_00``…;
    a basis with no frames gives morph targets and no animation (a rigged mesh)."""
    import pygltflib as g

    n_vertices = len(basis.base)
    normals_of = VertexNormals(faces, n_vertices)
    base_normals = normals_of(basis.base)
    blob = _Blob()

    def vec3(array: np.ndarray, *, bounds: bool) -> int:
        array = np.ascontiguousarray(array, dtype=np.float32)
        return blob.accessor(array, FLOAT, "VEC3", target=ARRAY_BUFFER, bounds=bounds)

    position = vec3(basis.base, bounds=True)
    normal = vec3(base_normals, bounds=False)
    index_type = (np.uint16, UNSIGNED_SHORT) if n_vertices < 65535 else (np.uint32, UNSIGNED_INT)
    indices = blob.accessor(
        faces.reshape(-1).astype(index_type[0]),
        index_type[1],
        "SCALAR",
        target=ELEMENT_ARRAY_BUFFER,
        bounds=False,
    )
    targets = []
    for target in basis.targets:
        # normal deltas linearised at weight 1, so lighting follows the shape in viewers
        delta_normals = normals_of(basis.base + target) - base_normals
        targets.append(
            g.Attributes(
                POSITION=vec3(target, bounds=True), NORMAL=vec3(delta_normals, bounds=False)
            )
        )
    if target_names is None:
        target_names = [f"pca_{k:02d}" for k in range(len(targets))]

    frames = len(basis.weights)
    animations = []
    if targets and frames:
        times = np.arange(frames, dtype=np.float32) / np.float32(fps)
        time_accessor = blob.accessor(times, FLOAT, "SCALAR", bounds=True)
        weight_accessor = blob.accessor(
            np.ascontiguousarray(basis.weights, np.float32).reshape(-1),
            FLOAT,
            "SCALAR",
            bounds=False,
        )
        animations.append(
            g.Animation(
                name="speech",
                samplers=[
                    g.AnimationSampler(
                        input=time_accessor, output=weight_accessor, interpolation="LINEAR"
                    )
                ],
                channels=[
                    g.AnimationChannel(
                        sampler=0, target=g.AnimationChannelTarget(node=0, path="weights")
                    )
                ],
            )
        )

    extras = {
        "fps": float(fps),
        "frames": frames,
        "basis": {
            "components": len(targets),
            "max_error": basis.max_error,
            "rms_error": basis.rms_error,
            "tolerance": basis.tolerance,
        },
    }
    if audio_name:
        extras["audio"] = audio_name
    gltf = g.GLTF2(
        asset=g.Asset(generator=f"selftalk {__version__}", version="2.0", extras=extras),
        scene=0,
        scenes=[g.Scene(nodes=[0])],
        nodes=[g.Node(mesh=0, name=name)],
        meshes=[
            g.Mesh(
                name=name,
                primitives=[
                    g.Primitive(
                        attributes=g.Attributes(POSITION=position, NORMAL=normal),
                        indices=indices,
                        material=0,
                        mode=g.TRIANGLES,
                        targets=targets,
                    )
                ],
                weights=[0.0] * len(targets) if targets else None,
                extras={"targetNames": target_names} if targets else {},
            )
        ],
        materials=[
            g.Material(
                name="skin",
                doubleSided=True,
                pbrMetallicRoughness=g.PbrMetallicRoughness(
                    baseColorFactor=[*map(float, color), 1.0],
                    metallicFactor=0.0,
                    roughnessFactor=0.6,
                ),
            )
        ],
        animations=animations,
        accessors=blob.accessors,
        bufferViews=blob.views,
        buffers=[g.Buffer(byteLength=blob.size)],
    )
    gltf.set_binary_blob(blob.data())
    return b"".join(gltf.save_to_bytes())


class _Blob:
    """Collects arrays into one binary buffer with a view and an accessor each."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.views: list = []
        self.accessors: list = []

    def accessor(
        self,
        array: np.ndarray,
        component: int,
        kind: str,
        *,
        target: int | None = None,
        bounds: bool,
    ) -> int:
        import pygltflib as g

        data = array.tobytes()
        self.views.append(
            g.BufferView(buffer=0, byteOffset=self.size, byteLength=len(data), target=target)
        )
        self.parts.append(data)
        self.size += len(data)
        pad = -self.size % 4
        self.parts.append(b"\0" * pad)
        self.size += pad
        width = {"SCALAR": 1, "VEC3": 3}[kind]
        flat = array.reshape(-1, width)
        accessor = g.Accessor(
            bufferView=len(self.views) - 1, componentType=component, count=len(flat), type=kind
        )
        if bounds:
            accessor.min = [float(x) for x in flat.min(axis=0)]
            accessor.max = [float(x) for x in flat.max(axis=0)]
        self.accessors.append(accessor)
        return len(self.accessors) - 1

    def data(self) -> bytes:
        return b"".join(self.parts)


def audio_beside(path: str | Path) -> Path:
    """Where :func:`write_glb` writes the audio of ``path``: ``<stem>.wav`` beside it."""
    return Path(path).with_suffix(".wav")


def write_audio(
    path: Path, audio: str | Path | np.ndarray, audio_rate: int, *, force: bool = False
) -> Path:
    """Write ``audio`` beside the .glb as 16-bit PCM WAV (plays in every browser)."""
    import soundfile

    if isinstance(audio, (str, Path)):
        from selftalk.audio import load_audio

        if same_file(audio, path):  # already where it belongs: keep it
            load_audio(audio)  # but check that it is readable audio
            return path
        check_output_file(path, inputs=[audio], chosen=True, force=force)
        audio_rate = 48_000
        samples = load_audio(audio, audio_rate)
    else:
        check_output_file(path, chosen=True, force=force)
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
    with atomic_path(path) as tmp:
        with soundfile.SoundFile(
            str(tmp), "w", samplerate=int(audio_rate), channels=1, subtype="PCM_16"
        ) as f:
            f.software = f"{MARK} {__version__}"  # so a later run may replace it
            f.write(np.clip(samples, -1.0, 1.0))
    return path
