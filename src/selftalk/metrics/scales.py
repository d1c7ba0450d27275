"""Reporting conventions: the powers of ten papers print metrics in, and default LRP thresholds.

Metrics are always computed in the dataset's own units (VOCASET: metres; BIWI as processed
by CodeTalker). Papers print LVE and FDD scaled (SelfTalk's tables: VOCASET LVE ×1e-5, FDD
×1e-7; BIWI LVE ×1e-4, FDD ×1e-5); a :class:`Scale` records such a convention so a report
can print both the raw and the conventional numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from selftalk.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class Scale:
    """How a dataset's numbers are conventionally printed.

    Attributes:
        name: ``raw``, ``vocaset`` or ``biwi``.
        lve, fdd, mve: the unit each metric is printed in (3.2e-5 with ``lve=1e-5`` prints 3.2).
        rho: default named LRP thresholds in dataset units; None: derived from the face size
            (:func:`default_rhos`).
        length_unit: label of the dataset's length unit.
    """

    name: str
    lve: float = 1.0
    fdd: float = 1.0
    mve: float = 1.0
    rho: tuple[float, ...] | None = None
    length_unit: str = "dataset units"


SCALES: dict[str, Scale] = {
    "raw": Scale(name="raw"),
    # VOCASET (FLAME, metres): LVE/FDD as in the SelfTalk, CodeTalker and FaceFormer tables;
    # MVE in millimetres; ρ of 2, 5 and 10 mm (the paper does not give its ρ).
    "vocaset": Scale(
        name="vocaset", lve=1e-5, fdd=1e-7, mve=1e-3, rho=(0.002, 0.005, 0.01), length_unit="m"
    ),
    # BIWI as processed by CodeTalker: LVE/FDD as in the SelfTalk and CodeTalker tables.
    # ρ chosen on the same footing relative to the LVE unit as VOCASET's (not from the paper).
    "biwi": Scale(
        name="biwi", lve=1e-4, fdd=1e-5, mve=1e-2, rho=(0.005, 0.01, 0.02), length_unit="BIWI units"
    ),
}

# Default ρ for datasets without a convention, as fractions of the size of the mouth (the
# diagonal of the lip vertices' bounding box on the mean template).
RHO_MOUTH_FRACTIONS = (0.025, 0.05, 0.1)


def resolve_scale(name: str, dataset_name: str = "") -> Scale:
    """``auto`` picks the convention named like the dataset (``vocaset``, ``biwi``) or ``raw``."""
    key = name.lower()
    if key == "auto":
        key = dataset_name.lower() if dataset_name.lower() in SCALES else "raw"
    if key not in SCALES:
        raise ConfigError(f"unknown scale {name!r}: use auto, {', '.join(SCALES)}")
    return SCALES[key]


def default_rhos(scale: Scale, mean_template: np.ndarray, lip: np.ndarray) -> tuple[float, ...]:
    """The named ρ of ``scale``, or fractions of the mouth size (2 significant digits).

    ``mean_template`` (V, 3), ``lip`` (L,) indices.
    """
    if scale.rho is not None:
        return scale.rho
    points = np.asarray(mean_template, np.float64)[np.asarray(lip)]
    mouth = float(np.linalg.norm(points.max(axis=0) - points.min(axis=0)))
    if mouth == 0:
        raise ConfigError("the lip vertices of the template coincide: give --rho explicitly")
    return tuple(float(f"{f * mouth:.2g}") for f in RHO_MOUTH_FRACTIONS)
