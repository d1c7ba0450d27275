"""Compare methods on one test set: metrics with paired bootstrap intervals and significance tests.

Each method is a folder of predictions, scored like ``selftalk metrics`` under one metric
definition; the clips every method predicted are then resampled together
(:mod:`selftalk.metrics.bootstrap`). The first method (or ``reference``) is the one the
others are compared with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from selftalk.errors import ConfigError, InputError
from selftalk.metrics.bootstrap import (
    bootstrap_indices,
    bootstrap_p_value,
    percentile_interval,
    ratio_samples,
    wilcoxon_p_value,
)
from selftalk.metrics.definitions import Units, get_definition
from selftalk.metrics.evaluate import EvaluateOptions, evaluate_predictions

METRICS = ("lve", "fdd", "mve")


@dataclass(frozen=True, kw_only=True)
class MetricStats:
    """One metric of one method: its value and interval; against the reference, the paired
    difference (method − reference), its interval and two p-values (None for the reference)."""

    value: float
    interval: tuple[float, float]
    diff: float | None = None
    diff_interval: tuple[float, float] | None = None
    p_bootstrap: float | None = None
    p_wilcoxon: float | None = None


@dataclass(frozen=True, kw_only=True)
class MethodResult:
    name: str
    pred_dir: str
    metrics: dict[str, MetricStats]


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Everything ``selftalk compare`` prints."""

    dataset: str
    split: str
    definition: str
    reference: str
    clips: list[str]
    n_boot: int
    seed: int
    confidence: float
    metrics: tuple[str, ...]
    methods: list[MethodResult]
    scale: Any
    warnings: list[str] = field(default_factory=list)


def compare_units(
    units: dict[str, Units],
    *,
    reference: str,
    metrics: Sequence[str] = ("lve", "fdd"),
    n_boot: int = 10000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, dict[str, MetricStats]]:
    """Paired bootstrap statistics of each method's units (same clips, same order) against
    ``reference``'s. Metrics a method lacks (FDD without upper-face vertices) are left out."""
    names = next(iter(units.values())).names
    if any(u.names != names for u in units.values()):
        raise ValueError("the methods' clips differ: take the same clips in the same order")
    idx = bootstrap_indices(len(names), n_boot, seed)
    samples = {
        (method, m): ratio_samples(*u.parts(m), idx)
        for method, u in units.items()
        for m in metrics
        if u.parts(m) is not None
    }
    out: dict[str, dict[str, MetricStats]] = {}
    for method, u in units.items():
        out[method] = {}
        for m in metrics:
            if (method, m) not in samples:
                continue
            stats = MetricStats(
                value=u.value(m), interval=percentile_interval(samples[method, m], confidence)
            )
            if method != reference and (reference, m) in samples:
                diff = samples[method, m] - samples[reference, m]
                stats = replace(
                    stats,
                    diff=u.value(m) - units[reference].value(m),
                    diff_interval=percentile_interval(diff, confidence),
                    p_bootstrap=bootstrap_p_value(diff),
                    p_wilcoxon=wilcoxon_p_value(u.per_clip(m), units[reference].per_clip(m)),
                )
            out[method][m] = stats
    return out


def compare_predictions(
    pred_dirs: Sequence[str | Path],
    data_dir: str | Path,
    options: EvaluateOptions | None = None,
    *,
    names: Sequence[str] | None = None,
    reference: str | None = None,
    metrics: Sequence[str] = ("lve", "fdd"),
    n_boot: int = 10000,
    seed: int = 0,
    confidence: float = 0.95,
    progress: bool = False,
) -> Comparison:
    """Score every folder of ``pred_dirs`` and compare them (see the module docstring)."""
    options = options or EvaluateOptions()
    names = list(names) if names else [Path(p).name for p in pred_dirs]
    _check_methods(pred_dirs, names, metrics, n_boot, confidence)
    reference = reference or names[0]
    if reference not in names:
        raise ConfigError(f"--reference {reference!r} is none of the methods: {', '.join(names)}")
    reports = {
        name: evaluate_predictions(path, data_dir, options, progress=progress)
        for name, path in zip(names, pred_dirs, strict=True)
    }
    units = {name: r.definitions[r.definition] for name, r in reports.items()}
    common = [c for c in units[names[0]].names if all(c in u.names for u in units.values())]
    if not common:
        raise InputError(Path(pred_dirs[0]), "the methods have no predicted clip in common")
    shared = set.intersection(*(set(r.warnings) for r in reports.values()))
    warnings = [w for w in next(iter(reports.values())).warnings if w in shared]
    warnings += [f"{n}: {w}" for n, r in reports.items() for w in r.warnings if w not in shared]
    dropped = max(len(u.names) for u in units.values()) - len(common)
    if dropped:
        warnings.append(f"{dropped} clip(s) not predicted by every method are left out")
    stats = compare_units(
        {n: u.take(common) for n, u in units.items()},
        reference=reference,
        metrics=metrics,
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
    )
    first = reports[names[0]]
    return Comparison(
        dataset=first.dataset,
        split=first.split,
        definition=first.definition,
        reference=reference,
        clips=common,
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
        metrics=tuple(metrics),
        methods=[
            MethodResult(name=n, pred_dir=str(p), metrics=stats[n])
            for n, p in zip(names, pred_dirs, strict=True)
        ],
        scale=first.scale,
        warnings=warnings,
    )


def _check_methods(pred_dirs, names, metrics, n_boot, confidence) -> None:
    if len(pred_dirs) < 2:
        raise ConfigError("compare needs at least two prediction folders")
    if len(names) != len(pred_dirs) or len(set(names)) != len(names):
        raise ConfigError(f"give one distinct name a folder ({len(pred_dirs)} folders): {names}")
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ConfigError(
            f"unknown metric(s) {unknown or metrics}: choose among {', '.join(METRICS)}"
        )
    if n_boot < 100:
        raise ConfigError(f"--bootstrap must be at least 100 samples, got {n_boot}")
    if not 0 < confidence < 1:
        raise ConfigError(f"--confidence must lie in (0, 1), got {confidence}")


def comparison_to_dict(result: Comparison) -> dict[str, Any]:
    """The JSON form (raw values, in the definition's units)."""

    def stats(s: MetricStats) -> dict[str, Any]:
        return {
            "value": s.value,
            "ci": list(s.interval),
            "diff": s.diff,
            "diff_ci": None if s.diff_interval is None else list(s.diff_interval),
            "p_bootstrap": s.p_bootstrap,
            "p_wilcoxon": s.p_wilcoxon,
        }

    return {
        "format": "selftalk-compare",
        "version": 1,
        "dataset": result.dataset,
        "split": result.split,
        "definition": result.definition,
        "reference": result.reference,
        "n_clips": len(result.clips),
        "clips": result.clips,
        "bootstrap": {
            "samples": result.n_boot,
            "seed": result.seed,
            "confidence": result.confidence,
        },
        "methods": [
            {
                "name": m.name,
                "pred_dir": m.pred_dir,
                "metrics": {k: stats(v) for k, v in m.metrics.items()},
            }
            for m in result.methods
        ],
        "warnings": result.warnings,
    }


def metric_unit(result: Comparison, metric: str) -> tuple[float, str]:
    """(divisor, label) that prints ``metric`` as the field's tables do (×1e-4 …)."""
    from selftalk.metrics.definitions import LIP_TERMS

    d = get_definition(result.definition)
    if d.scale(result.dataset) != 1.0:
        return 1.0, ""
    power = {"lve": LIP_TERMS[d.lip][1], "fdd": 2, "mve": 1}[metric]
    unit = {"lve": result.scale.lve if power == 2 else result.scale.mve}.get(metric)
    unit = unit if unit is not None else getattr(result.scale, metric)
    if unit == 1.0:  # no convention (raw): the power of ten of the largest value, if below 1
        unit = _power_of_ten_below(result, metric)
    if unit == 1.0:
        return 1.0, ""
    return unit, f"×1e{round(np.log10(unit))}"


def _power_of_ten_below(result: Comparison, metric: str) -> float:
    """10^⌊log10 v⌋ of the largest |value| v of ``metric`` over the methods, where v < 1
    (raw LVE in metres² is ~1e-5, which four decimals would print as 0.0000); else 1."""
    values = [abs(m.metrics[metric].value) for m in result.methods if metric in m.metrics]
    largest = max(values, default=0.0)
    if not 0 < largest < 1:
        return 1.0
    return float(10.0 ** np.floor(np.log10(largest)))
