"""Print a :class:`~selftalk.metrics.compare.Comparison` as Markdown, LaTeX or JSON."""

from __future__ import annotations

import json

from selftalk.metrics.compare import Comparison, MetricStats, comparison_to_dict, metric_unit
from selftalk.metrics.definitions import get_definition

LABELS = {"fdd": "FDD", "mve": "MVE"}


def _label(result: Comparison, metric: str) -> str:
    return get_definition(result.definition).label if metric == "lve" else LABELS[metric]


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _cells(result: Comparison, metric: str, s: MetricStats | None) -> list[str]:
    """value [CI], Δ [CI], p (bootstrap / Wilcoxon)."""
    if s is None:
        return ["n/a", "", ""]
    unit, _ = metric_unit(result, metric)
    low, high = (x / unit for x in s.interval)
    cells = [f"{s.value / unit:.4f} [{low:.4f}, {high:.4f}]"]
    if s.diff is None:
        return [*cells, "—", "—"]
    dlow, dhigh = (x / unit for x in s.diff_interval)
    cells.append(f"{s.diff / unit:+.4f} [{dlow:+.4f}, {dhigh:+.4f}]")
    cells.append(f"{_p(s.p_bootstrap)} / {_p(s.p_wilcoxon)}")
    return cells


def _headers(result: Comparison) -> list[str]:
    headers = ["Method"]
    for m in result.metrics:
        label, (_, power) = _label(result, m), metric_unit(result, m)
        headers += [f"{label} {power}".strip(), f"Δ{label}", "p (boot / Wilcoxon)"]
    return headers


def _rows(result: Comparison) -> list[list[str]]:
    rows = []
    for method in result.methods:
        name = method.name + (" (reference)" if method.name == result.reference else "")
        row = [name]
        for m in result.metrics:
            row += _cells(result, m, method.metrics.get(m))
        rows.append(row)
    return rows


def caption(result: Comparison) -> str:
    c = round(100 * result.confidence)
    return (
        f"{result.dataset} / {result.split}: {len(result.clips)} clips, definition "
        f"{result.definition}. Brackets: {c}% percentile intervals of {result.n_boot} paired "
        f"bootstrap samples over clips (seed {result.seed}). Δ: method − {result.reference}; "
        "p: two-sided, paired bootstrap / Wilcoxon signed-rank on per-clip values; "
        "not corrected for multiple comparisons."
    )


def format_markdown(result: Comparison) -> str:
    headers, rows = _headers(result), _rows(result)
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---"] + [":---:"] * (len(headers) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n\n" + caption(result) + "\n"


def _tex(text: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("_", r"\_"),
        ("%", r"\%"),
        ("&", r"\&"),
        ("#", r"\#"),
    ):
        text = text.replace(a, b)
    return text.replace("Δ", r"$\Delta$").replace("×1e", r"$\times 10^{").replace("—", "--")


def _tex_cell(cell: str) -> str:
    cell = _tex(cell)
    if "$\\times 10^{" in cell:
        cell = cell + "}$"
    if " [" in cell:  # value [interval]: the interval small, as papers print it
        value, interval = cell.split(" [", 1)
        cell = f"{value} {{\\scriptsize [{interval}}}"
    return cell.replace("<0.001", "$<$0.001")


def format_latex(result: Comparison) -> str:
    headers, rows = _headers(result), _rows(result)
    lines = [
        "% " + caption(result),
        r"\begin{tabular}{l" + "c" * (len(headers) - 1) + "}",
        r"\toprule",
        " & ".join(_tex_cell(h) for h in headers) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(_tex_cell(c) for c in row) + r" \\" for row in rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def format_json(result: Comparison) -> str:
    return json.dumps(comparison_to_dict(result), indent=2) + "\n"


FORMATS = {"markdown": format_markdown, "latex": format_latex, "json": format_json}
