"""Present a :class:`~selftalk.metrics.evaluate.MetricsReport`: a text table, JSON, PNG plots."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from selftalk.errors import SelfTalkError
from selftalk.io import atomic_path, write_json
from selftalk.metrics.definitions import LIP_TERMS, get_definition
from selftalk.metrics.evaluate import MetricsReport, report_to_dict
from selftalk.metrics.scales import Scale

# Clip boundaries are drawn in the per-frame plot only up to this many clips (beyond, clutter).
MAX_BOUNDARIES = 100


def _exponent(unit: float) -> str:
    power = math.log10(unit)
    return f"×1e{round(power)}" if abs(power - round(power)) < 1e-9 else f"×{unit:g}"


def _unit(scale: Scale, power: int, factor: float = 1.0) -> str:
    """The unit label of a value of length^power, lengths multiplied by ``factor``."""
    unit = scale.length_unit
    if factor != 1.0:
        unit = "mm" if unit == "m" and factor == 1000 else f"({factor:g} {unit})"
    return unit + ("²" if power == 2 else "")


def format_table(report: MetricsReport) -> str:
    """The report as aligned text lines, raw values beside the conventional scaled ones."""
    v, scale = report.vertex, report.scale
    scaled = scale.name != "raw"
    rows: list[tuple[str, str, str]] = []

    def vertex_row(
        name: str, value: float | None, unit: float, power: int, factor: float = 1.0
    ) -> None:
        if value is None:
            rows.append((name, "n/a", ""))
            return
        label = _unit(scale, power, factor)
        rows.append(
            (
                name,
                f"{value:.6e} {label}",
                f"{value / unit:.4f} {_exponent(unit)} {label}" if scaled and factor == 1 else "",
            )
        )

    for index, (name, parts) in enumerate(report.definitions.items() or [("", None)]):
        if parts is None:  # a report made without definitions: CodeTalker's values
            vertex_row("LVE", v.lve, scale.lve, 2)
            vertex_row("FDD", v.fdd, scale.fdd, 2)
            break
        d = get_definition(name)
        power = LIP_TERMS[d.lip][1]
        factor = d.scale(report.dataset)
        suffix = "" if len(report.definitions) == 1 and index == 0 else f" ({name})"
        units = {1: scale.mve, 2: scale.lve}
        vertex_row(f"{d.label}{suffix}", parts.lve, units[power], power, factor)
        if d.fdd is not None:
            vertex_row(f"FDD{suffix}", parts.fdd, scale.fdd, 2, factor)
    vertex_row("MVE", v.mve, scale.mve, 1)
    for rho, value in zip(report.rhos, report.lrp, strict=True):
        rows.append((f"LRP (ρ = {rho:g} {scale.length_unit})", f"{100 * value:.2f} %", ""))
    for level, rho in zip(report.lrp_levels, report.rho_at_levels, strict=True):
        rows.append((f"ρ for LRP {100 * level:g} %", f"{rho:.6g} {scale.length_unit}", ""))
    if report.cer is None:
        rows.append(("lip-reading CER", "n/a", "no lip-reading transcripts"))
    else:
        value = report.cer.compute()
        rows.append(
            (
                "lip-reading CER",
                "n/a" if value is None else f"{100 * value:.2f} %",
                f"{len(report.cer.pairs)} clip(s), {report.cer.reference_chars} reference chars",
            )
        )

    n_clips = (
        len(next(iter(report.definitions.values())).names) if report.definitions else v.n_clips
    )
    predictions = f" ({v.n_clips} predictions)" if v.n_clips != n_clips else ""
    title = (
        f"{report.dataset} / {report.split}: {n_clips} clips{predictions}, {v.n_frames} frames"
        f" (scale: {scale.name}; length unit: {scale.length_unit})"
    )
    if report.layout != "selftalk" or report.regions:
        title += f"\nlayout: {report.layout}; regions: {report.regions or 'n/a'}"
    header = ("metric", "value", "scaled" if scaled else "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [title, ""]
    for row in [header, *rows]:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    if report.missing:
        lines.append(f"\nnot scored (no prediction): {len(report.missing)} clip(s)")
    return "\n".join(lines)


def write_report_json(path: str | Path, report: MetricsReport) -> None:
    """Write the JSON form of the report atomically."""
    write_json(path, report_to_dict(report))


def write_plots(directory: str | Path, report: MetricsReport) -> list[Path]:
    """Write ``lrp_curve.png`` and ``lip_error.png`` into ``directory``; returns their paths."""
    try:
        # A bare Figure renders with the Agg canvas and leaves pyplot's global backend alone.
        from matplotlib.figure import Figure
    except ImportError:
        raise SelfTalkError("plots need matplotlib (pip install matplotlib)") from None

    directory = Path(directory)
    scale, v = report.scale, report.vertex
    paths = [directory / "lrp_curve.png", directory / "lip_error.png"]

    fig = Figure(figsize=(6.4, 4.2), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    ax.plot(report.curve_rho, 100 * report.curve_lrp, color="C0")
    for rho, value in zip(report.rhos, report.lrp, strict=True):
        ax.axvline(rho, color="0.7", lw=0.8, ls="--")
        ax.plot([rho], [100 * value], "o", color="C1")
        ax.annotate(
            f"{100 * value:.1f} %", (rho, 100 * value), textcoords="offset points", xytext=(5, 5)
        )
    ax.set(
        xlabel=f"ρ ({scale.length_unit})",
        ylabel="LRP (%)",
        ylim=(-2, 102),
        xlim=(0, float(report.curve_rho[-1])),
        title=f"Lip readability: {report.dataset} / {report.split}, {v.n_frames} frames",
    )
    ax.grid(alpha=0.3)
    _save(fig, paths[0])

    fig = Figure(figsize=(9.6, 3.6), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    per_frame = v.lip_max_distance**2 / scale.lve
    ax.plot(np.arange(len(per_frame)), per_frame, lw=0.6, color="C0", label="per frame")
    ax.axhline(v.lve / scale.lve, color="C3", lw=1.0, label=f"LVE {v.lve / scale.lve:.4g}")
    if v.n_clips <= MAX_BOUNDARIES:
        for boundary in np.cumsum([c.frames for c in v.clips])[:-1]:
            ax.axvline(boundary, color="0.85", lw=0.5, zorder=0)
    unit = f"{_exponent(scale.lve)} " if scale.lve != 1 else ""
    ax.set(
        xlabel="frame (clips one after another)",
        ylabel=f"max squared lip distance ({unit}{_unit(scale, 2)})",
        xlim=(0, max(len(per_frame) - 1, 1)),
        ylim=(0, None),
        title="Per-frame lip error (the LVE term)",
    )
    ax.legend(loc="upper right")
    _save(fig, paths[1])
    return paths


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
