"""Score a folder of predictions against a dataset (the library of ``selftalk metrics``).

``PRED_DIR/{clip}.npy`` (or FaceFormer's ``{clip}_condition_{subject}.npy``) holds one
predicted motion a clip of the split, (T, V, 3) or (T, V*3), at the dataset's frame rate;
clips are read and scored one at a time. The dataset may be prepared or in another
repository's layout (:func:`selftalk.data.layouts.open_dataset`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from selftalk.errors import ConfigError, InputError
from selftalk.io import load_npy
from selftalk.metrics.definitions import (
    DEFAULT,
    Units,
    definition_names,
    get_definition,
    lip_terms_needed,
    units,
)
from selftalk.metrics.groundtruth import EvaluationData
from selftalk.metrics.lrp import lip_readability, lrp_curve, rho_for_lrp
from selftalk.metrics.predictions import Prediction, find_predictions
from selftalk.metrics.scales import Scale, default_rhos, resolve_scale
from selftalk.metrics.text import CharErrorRate
from selftalk.metrics.vertex import VertexMetrics, VertexSummary, as_frames

# A prediction this many times longer than its ground truth was probably made at another fps.
SUSPICIOUS_LENGTH_RATIO = 1.5


@dataclass(frozen=True, kw_only=True)
class EvaluateOptions:
    """What to score and how.

    Attributes:
        split: the split of ``splits.json`` to score.
        rhos: named LRP thresholds in dataset units; None: the scale's defaults.
        lrp_levels: LRP levels (fractions) to report the needed ρ for.
        scale: ``auto``, ``raw``, ``vocaset`` or ``biwi`` (see :mod:`selftalk.metrics.scales`).
        allow_missing: score the clips that have a prediction instead of refusing when some
            lack one.
        strict_length: refuse predictions shorter than their ground truth instead of
            comparing the frames both have.
        curve_points: points of the LRP curve in the report.
        normalize_text: normalise transcripts before CER
            (:func:`~selftalk.metrics.text.normalize_transcript`).
        definition: the metric definition(s) (:mod:`selftalk.metrics.definitions`): a name,
            a comma-separated list or ``all``; the first is the report's LVE and FDD.
        regions: lip / upper-face regions (:func:`selftalk.data.regions.resolve_regions`).
        split_file: named splits used instead of the dataset's own.
        condition: which prediction files of a clip to score
            (:mod:`selftalk.metrics.predictions`).
        pred_scale: factor applied to predictions before scoring (e.g. 5 for UniTalker's
            BIWI outputs, made at 0.2× the data's units).
    """

    split: str = "test"
    rhos: tuple[float, ...] | None = None
    lrp_levels: tuple[float, ...] = (0.5, 0.9, 0.95)
    scale: str = "auto"
    allow_missing: bool = False
    strict_length: bool = False
    curve_points: int = 201
    normalize_text: bool = True
    definition: str = DEFAULT
    regions: str = "auto"
    split_file: str | Path | None = None
    condition: str = "auto"
    pred_scale: float = 1.0

    def validate(self) -> None:
        definition_names(self.definition)  # raises ConfigError on an unknown name
        if not self.pred_scale > 0:
            raise ConfigError(f"the prediction scale must be positive, got {self.pred_scale}")
        if self.rhos is not None and (not self.rhos or any(not r > 0 for r in self.rhos)):
            raise ConfigError(f"rho values must be positive, got {list(self.rhos)}")
        if any(not 0 < p <= 1 for p in self.lrp_levels):
            raise ConfigError(f"LRP levels must lie in (0, 1], got {list(self.lrp_levels)}")
        if self.curve_points < 2:
            raise ConfigError(f"curve_points must be at least 2, got {self.curve_points}")


@dataclass(frozen=True, kw_only=True)
class MetricsReport:
    """Everything ``selftalk metrics`` prints, writes and plots.

    Attributes:
        dataset, split: what was scored.
        scale: the reporting convention.
        vertex: pooled LVE / MVE / FDD, per-clip errors and per-frame lip distances.
        rhos, lrp: named thresholds (R,) and LRP at each (R,), as fractions.
        lrp_levels, rho_at_levels: LRP levels (P,) and the ρ needed to reach each (P,).
        curve_rho, curve_lrp: the LRP curve, (N,) each.
        cer: lip-reading CER accumulator, or None without transcripts.
        missing: clips of the split without a prediction (scored without them).
        warnings: things the reader should know (length mismatches, skipped transcripts).
        definitions: {name: per-clip parts} of each definition asked for, the main one first.
        layout: the dataset's layout (``selftalk``, ``faceformer``, ``unitalker``).
        regions: where the lip and upper-face vertices came from.
    """

    dataset: str
    split: str
    scale: Scale
    vertex: VertexSummary
    rhos: tuple[float, ...]
    lrp: np.ndarray
    lrp_levels: tuple[float, ...]
    rho_at_levels: np.ndarray
    curve_rho: np.ndarray
    curve_lrp: np.ndarray
    cer: CharErrorRate | None = None
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    definitions: dict[str, Units] = field(default_factory=dict)
    layout: str = "selftalk"
    regions: str = ""

    @property
    def definition(self) -> str:
        """The main definition: the one of the report's LVE and FDD."""
        return next(iter(self.definitions), DEFAULT)

    @property
    def lve(self) -> float:
        return self.definitions[self.definition].lve if self.definitions else self.vertex.lve

    @property
    def fdd(self) -> float | None:
        return self.definitions[self.definition].fdd if self.definitions else self.vertex.fdd


def load_prediction(path: Path, n_vertices: int) -> np.ndarray:
    """(T, V, 3) predicted motion from a ``.npy``.

    Raises InputError when it is unreadable, misshapen, empty or not finite.
    """
    array = load_npy(path, what="prediction")
    try:
        motion = as_frames(array, n_vertices)
    except ValueError as error:
        raise InputError(path, str(error)) from None
    if len(motion) == 0:
        raise InputError(path, "the prediction has no frames")
    if not np.isfinite(motion).all():
        raise InputError(path, "the prediction contains NaN or infinite values")
    return motion


def _check_regions(data: EvaluationData, n_vertices: int) -> None:
    regions = [("lip", data.lip_indices), ("upper-face", data.upper_face_indices)]
    for label, indices in regions:
        if indices is not None and (indices.min() < 0 or indices.max() >= n_vertices):
            raise InputError(
                data.root / data.regions.source,
                f"the {label} region has indices outside the {n_vertices} vertices",
            )


def _check_coverage(
    pred_dir: Path, clips: list[str], found: Mapping[str, list[Prediction]], allow_missing: bool
) -> tuple[list[str], list[str]]:
    present = [c for c in clips if c in found]
    missing = [c for c in clips if c not in found]
    if missing and not allow_missing:
        shown = ", ".join(missing[:10]) + (
            f" … ({len(missing)} in all)" if len(missing) > 10 else ""
        )
        raise InputError(
            pred_dir,
            f"no prediction for {len(missing)} clip(s) of the split: {shown} "
            "(or pass --allow-missing)",
        )
    if not present:
        raise InputError(pred_dir, f"no prediction for any of the {len(clips)} clips of the split")
    return present, missing


def _length_warnings(summary: VertexSummary, strict: bool, pred_dir: Path) -> list[str]:
    short = [c for c in summary.clips if c.short]
    if short and strict:
        shown = ", ".join(f"{c.name} ({c.pred_frames} < {c.gt_frames})" for c in short[:10])
        raise InputError(
            pred_dir, f"{len(short)} prediction(s) shorter than the ground truth: {shown}"
        )
    warnings = []
    if short:
        frames = sum(c.gt_frames - c.pred_frames for c in short)
        names = ", ".join(f"{c.name} ({c.pred_frames}/{c.gt_frames})" for c in short[:5])
        warnings.append(
            f"{len(short)} prediction(s) shorter than the ground truth, compared on the frames "
            f"both have ({frames} ground-truth frames left out): "
            f"{names}{' …' if len(short) > 5 else ''}"
        )
    long = [c for c in summary.clips if c.pred_frames > c.gt_frames]
    if long:
        warnings.append(
            f"{len(long)} prediction(s) longer than the ground truth, cut to its length "
            f"({sum(c.pred_frames - c.gt_frames for c in long)} frames dropped)"
        )
    odd = [c.name for c in long if c.pred_frames >= SUSPICIOUS_LENGTH_RATIO * c.gt_frames]
    if odd:
        warnings.append(
            f"{len(odd)} prediction(s) at least {SUSPICIOUS_LENGTH_RATIO}× longer than the ground "
            f"truth: were they made at another frame rate? ({', '.join(odd[:5])})"
        )
    return warnings


def _score_text(
    clips: list[str],
    data: EvaluationData,
    hypotheses: Mapping[str, str],
    references: Mapping[str, str] | None,
    normalize: bool,
) -> tuple[CharErrorRate | None, list[str]]:
    cer = CharErrorRate(normalize=normalize)
    no_reference = []
    for clip in clips:
        if clip not in hypotheses:
            continue
        reference = references.get(clip) if references is not None else data.transcript(clip)
        if reference is None:
            no_reference.append(clip)
            continue
        cer.update(hypotheses[clip], reference, name=clip)
    warnings = []
    unscored = [c for c in clips if c not in hypotheses]
    if unscored:
        warnings.append(
            f"CER: {len(unscored)} clip(s) have no lip-reading transcript and are not scored"
        )
    if no_reference:
        warnings.append(
            f"CER: {len(no_reference)} clip(s) have no reference transcript and are not scored"
        )
    return (cer if cer.pairs else None), warnings


def evaluate_predictions(
    pred_dir: str | Path,
    data_dir: str | Path,
    options: EvaluateOptions | None = None,
    *,
    hypotheses: Mapping[str, str] | None = None,
    references: Mapping[str, str] | None = None,
    progress: bool = False,
) -> MetricsReport:
    """Score ``pred_dir/{clip}.npy`` for every clip of split ``options.split`` of ``data_dir``.

    ``hypotheses``: clip → lip-reading transcript; with them, CER against ``references``
    (clip → text; default: the dataset's ``meta.json`` transcripts).
    """
    from tqdm import tqdm

    options = options or EvaluateOptions()
    options.validate()
    pred_dir = Path(pred_dir)
    data = EvaluationData(data_dir, split_file=options.split_file, regions=options.regions)
    if not pred_dir.is_dir():
        raise InputError(pred_dir, "no such prediction directory")
    clips = data.split_clips(options.split)
    if not clips:
        raise InputError(data.layout.splits_path, f"split {options.split!r} has no clip")
    found = find_predictions(pred_dir, clips, data.subject_of, options.condition)
    present, missing = _check_coverage(pred_dir, clips, found, options.allow_missing)

    names = definition_names(options.definition)
    metric = VertexMetrics(
        lip_indices=data.lip_indices,
        upper_face_indices=data.upper_face_indices,
        lip_terms=lip_terms_needed(names),
    )
    for clip in tqdm(present, desc="metrics", unit="clip", disable=not progress):
        gt = data.ground_truth(clip)
        _check_regions(data, gt.shape[1])
        template = data.template(clip)
        if len(template) != gt.shape[1]:
            raise InputError(
                data.layout.templates_path,
                f"the template of {clip} has {len(template)} vertices, its motion {gt.shape[1]}",
            )
        for path, condition in found[clip]:
            pred = load_prediction(path, gt.shape[1])
            if options.pred_scale != 1.0:
                pred = pred * options.pred_scale
            metric.update(pred, gt, template, name=clip, condition=condition)
    summary = metric.compute()
    definitions = {
        name: units(get_definition(name), summary.clips, dataset=data.name, fps=data.fps)
        for name in names
    }

    warnings = _length_warnings(summary, options.strict_length, pred_dir)
    if missing:
        warnings.insert(
            0, f"{len(missing)} clip(s) of the split have no prediction and are not scored"
        )
    warnings = data.notes + warnings
    scale = resolve_scale(options.scale, data.name)
    subjects = {data.subject_of(c) for c in present}
    mean_template = np.mean([data.templates[s] for s in sorted(subjects)], axis=0)
    rhos = (
        tuple(options.rhos)
        if options.rhos
        else default_rhos(scale, mean_template, data.lip_indices)
    )
    curve_rho, curve_lrp = lrp_curve(summary.lip_max_distance, options.curve_points)
    cer, text_warnings = (None, [])
    if hypotheses is not None:
        cer, text_warnings = _score_text(
            present, data, hypotheses, references, options.normalize_text
        )
    return MetricsReport(
        dataset=data.name,
        split=data.split_names.get(options.split, options.split),
        scale=scale,
        vertex=summary,
        rhos=rhos,
        lrp=lip_readability(summary.lip_max_distance, rhos),
        lrp_levels=tuple(options.lrp_levels),
        rho_at_levels=rho_for_lrp(summary.lip_max_distance, options.lrp_levels),
        curve_rho=curve_rho,
        curve_lrp=curve_lrp,
        cer=cer,
        missing=missing,
        warnings=warnings + text_warnings,
        definitions=definitions,
        layout=data.layout.layout_name,
        regions=data.regions.source,
    )


def report_to_dict(report: MetricsReport) -> dict[str, Any]:
    """The JSON form of a report (docs/metrics.md describes every field)."""
    v, scale = report.vertex, report.scale
    cer = report.cer
    texts = {
        p.name: {"cer": p.cer, "hypothesis": p.hypothesis, "reference": p.reference}
        for p in (cer.pairs if cer is not None else [])
    }
    return {
        "format": "selftalk-metrics",
        "version": 1,
        "dataset": report.dataset,
        "split": report.split,
        "layout": report.layout,
        "regions": report.regions,
        "definition": report.definition,
        "n_clips": v.n_clips,
        "n_frames": v.n_frames,
        "metrics": {
            "lve": report.lve,
            "fdd": report.fdd,
            "mve": v.mve,
            "lrp": {_key(r): float(x) for r, x in zip(report.rhos, report.lrp, strict=True)},
            "rho_for_lrp": {
                _key(p): float(r)
                for p, r in zip(report.lrp_levels, report.rho_at_levels, strict=True)
            },
            "cer": None if cer is None else cer.compute(),
        },
        "scale": {
            "name": scale.name,
            "length_unit": scale.length_unit,
            "lve": scale.lve,
            "fdd": scale.fdd,
            "mve": scale.mve,
        },
        "definitions": {
            name: definition_to_dict(name, u, report.dataset)
            for name, u in report.definitions.items()
        },
        "lrp_curve": {"rho": report.curve_rho.tolist(), "lrp": report.curve_lrp.tolist()},
        "cer_detail": None
        if cer is None
        else {
            "edits": cer.edits,
            "reference_chars": cer.reference_chars,
            "n_clips": len(cer.pairs),
            "normalized": cer.normalize,
        },
        "clips": [
            {
                "name": c.name,
                "condition": c.condition,
                "pred_frames": c.pred_frames,
                "gt_frames": c.gt_frames,
                "frames": c.frames,
                "lve": c.lve,
                "mve": c.mve,
                "fdd": c.fdd,
                **texts.get(c.name, {}),
            }
            for c in v.clips
        ],
        "missing": report.missing,
        "warnings": report.warnings,
    }


def definition_to_dict(name: str, parts: Units, dataset: str) -> dict[str, Any]:
    """A definition's values and what it is, for JSON reports."""
    d = get_definition(name)
    return {
        "label": d.label,
        "lve": parts.lve,
        "fdd": parts.fdd,
        "lip_term": d.lip,
        "pooling": d.pooling,
        "fdd_variant": d.fdd,
        "length_scale": d.scale(dataset),
        "max_seconds": d.max_seconds,
        "sources": list(d.sources),
    }


def _key(x: float) -> str:
    return repr(float(x))
