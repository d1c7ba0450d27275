"""Evaluation metrics of speech-driven 3D faces: LVE, FDD, MVE, LRP and lip-reading CER.

Definitions and their provenance are in docs/metrics.md. The functional core works on
numpy arrays (torch tensors are accepted and moved to the CPU); the accumulators
(:class:`VertexMetrics`, :class:`CharErrorRate`) stream over clips.
"""

from selftalk.metrics.lrp import lip_readability, lrp_curve, rho_for_lrp
from selftalk.metrics.text import CharErrorRate, character_error_rate, normalize_transcript
from selftalk.metrics.vertex import (
    ClipErrors,
    VertexMetrics,
    VertexSummary,
    clip_errors,
    lip_max_sq_error,
    mean_vertex_distance,
    upper_face_dynamics,
    upper_face_dynamics_deviation,
)

__all__ = [
    "CharErrorRate",
    "ClipErrors",
    "VertexMetrics",
    "VertexSummary",
    "character_error_rate",
    "clip_errors",
    "lip_max_sq_error",
    "lip_readability",
    "lrp_curve",
    "mean_vertex_distance",
    "normalize_transcript",
    "rho_for_lrp",
    "upper_face_dynamics",
    "upper_face_dynamics_deviation",
]
