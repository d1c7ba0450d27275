"""``selftalk compare`` against a bootstrap written here with plain loops (same seed, same draws)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from interop_fakes import codetalker_biwi, predict
from naive import fdd_per_clip, lip_terms

from selftalk import cli
from selftalk.metrics.bootstrap import bootstrap_p_value, wilcoxon_p_value


@pytest.fixture
def selftalk(monkeypatch):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["selftalk.cli.compare"])
    return cli.main


@pytest.fixture
def three_methods(tmp_path):
    """Test-A of a fake BIWI (24 clips) and three methods: good, worse (noisier), good again."""
    ds = codetalker_biwi(tmp_path / "BIWI", full_test_a=True)
    preds = {
        "good": predict(ds["gt"], tmp_path / "good", ds["test_a"], seed=1, noise=0.01),
        "worse": predict(ds["gt"], tmp_path / "worse", ds["test_a"], seed=2, noise=0.02, extra=1),
        "twin": predict(ds["gt"], tmp_path / "twin", ds["test_a"], seed=3, noise=0.01),
    }
    return ds, preds


def _naive_quantile(values, q):
    """numpy's default ("linear") quantile, by hand."""
    x = sorted(values)
    h = (len(x) - 1) * q
    lo = math.floor(h)
    return x[lo] + (h - lo) * (x[min(lo + 1, len(x) - 1)] - x[lo])


def _naive_units(ds, pred):
    """Per clip: Σ max squared lip distance, frames, FDD (CodeTalker's definition)."""
    out = []
    for clip in ds["test_a"]:
        template = ds["templates"][clip[:2]]
        terms = lip_terms(pred[clip], ds["gt"][clip], ds["lip"])
        fdd = fdd_per_clip(pred[clip], ds["gt"][clip], template, ds["upper"])
        out.append((sum(t["max_sq"] for t in terms), len(terms), fdd))
    return out


def test_intervals_and_p_values_match_a_naive_bootstrap_loop(
    tmp_path, selftalk, three_methods, capsys
):
    ds, preds = three_methods
    B, seed = 400, 11
    argv = ["compare", *(str(tmp_path / m) for m in preds), "--data", str(tmp_path / "BIWI")]
    argv += ["--split", "test-a", "--format", "json", "--bootstrap", str(B), "--seed", str(seed)]
    assert selftalk(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["reference"] == "good" and report["n_clips"] == 24

    units = {m: _naive_units(ds, preds[m]) for m in preds}
    S = len(ds["test_a"])
    idx = np.random.default_rng(seed).integers(0, S, size=(B, S))  # the documented draws
    samples = {(m, k): [] for m in preds for k in ("lve", "fdd")}
    for b in range(B):
        for m, u in units.items():
            rows = [u[int(i)] for i in idx[b]]
            samples[m, "lve"].append(sum(r[0] for r in rows) / sum(r[1] for r in rows))
            samples[m, "fdd"].append(sum(r[2] for r in rows) / S)
    methods = {m["name"]: m["metrics"] for m in report["methods"]}
    for m, u in units.items():
        for k in ("lve", "fdd"):
            got = methods[m][k]
            value = (
                sum(r[0] for r in u) / sum(r[1] for r in u)
                if k == "lve"
                else sum(r[2] for r in u) / S
            )
            assert got["value"] == pytest.approx(value, rel=1e-9, abs=1e-15)
            ci = [_naive_quantile(samples[m, k], q) for q in (0.025, 0.975)]
            assert got["ci"] == pytest.approx(ci, rel=1e-9, abs=1e-15)
            if m == "good":
                assert got["diff"] is None and got["p_bootstrap"] is None
                continue
            diffs = [a - b for a, b in zip(samples[m, k], samples["good", k])]
            assert got["diff_ci"] == pytest.approx(
                [_naive_quantile(diffs, q) for q in (0.025, 0.975)], rel=1e-9, abs=1e-15
            )
            below, above = sum(d <= 0 for d in diffs), sum(d >= 0 for d in diffs)
            assert got["p_bootstrap"] == pytest.approx(
                min(1.0, 2 * (min(below, above) + 1) / (B + 1))
            )
    # the noisier method is worse on every clip: both tests see it
    worse, twin = methods["worse"]["lve"], methods["twin"]["lve"]
    assert worse["p_bootstrap"] < 0.01 and worse["p_wilcoxon"] < 0.01 and worse["diff_ci"][0] > 0
    assert abs(twin["diff"]) < 0.1 * worse["diff"]


def test_same_seed_same_table_markdown_and_latex(tmp_path, selftalk, three_methods, capsys):
    args = [
        "compare",
        str(tmp_path / "good"),
        str(tmp_path / "worse"),
        "--data",
        str(tmp_path / "BIWI"),
    ]
    args += [
        "--split",
        "test",
        "--bootstrap",
        "300",
        "--names",
        "Ours,Baseline",
        "--reference",
        "Baseline",
    ]
    assert selftalk(args) == 0
    first = capsys.readouterr()
    assert "using 'test-a'" in first.err
    assert selftalk(args) == 0
    assert capsys.readouterr().out == first.out
    lines = first.out.splitlines()
    assert lines[0].startswith("| Method | LVE ×1e-4 | ΔLVE | p (boot / Wilcoxon) | FDD ×1e-5 |")
    assert lines[2].startswith("| Ours | ") and lines[3].startswith("| Baseline (reference) | ")
    assert "95% percentile intervals of 300 paired bootstrap samples" in first.out
    assert selftalk([*args, "--seed", "1"]) == 0
    assert capsys.readouterr().out != first.out
    out = tmp_path / "table.tex"
    assert selftalk([*args, "--format", "latex", "-o", str(out)]) == 0
    tex = out.read_text()
    assert tex == capsys.readouterr().out
    assert r"\begin{tabular}{lcccccc}" in tex and r"$\Delta$LVE" in tex and r"\scriptsize" in tex
    assert r"$\times 10^{-4}$" in tex and tex.rstrip().endswith(r"\end{tabular}")


def test_raw_scale_tables_print_digits_not_zeros(tmp_path, selftalk, three_methods, capsys):
    """With no reporting convention (``--scale raw``, any dataset of unknown name) the values
    are as small as the data's units make them: the table picks the power of ten."""
    args = ["compare", str(tmp_path / "good"), str(tmp_path / "worse")]
    args += ["--data", str(tmp_path / "BIWI"), "--split", "test-a", "--bootstrap", "200"]
    assert selftalk([*args, "--scale", "raw", "--format", "json"]) == 0
    methods = json.loads(capsys.readouterr().out)["methods"]
    lve = methods[0]["metrics"]["lve"]["value"]
    power = math.floor(math.log10(max(m["metrics"]["lve"]["value"] for m in methods)))
    assert selftalk([*args, "--scale", "raw"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"| Method | LVE ×1e{power} | ΔLVE |")
    assert lines[2].startswith(f"| good (reference) | {lve / 10.0**power:.4f} [")


def test_statistics_of_identical_methods():
    same = np.array([1.0, 2.0, 3.0])
    assert wilcoxon_p_value(same, same) == 1.0
    assert wilcoxon_p_value(same[:1], same[:1]) is None
    assert bootstrap_p_value(np.zeros(99)) == 1.0
    assert bootstrap_p_value(np.ones(99)) == pytest.approx(2 / 100)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--names", "a"], "one distinct name a folder"),
        (["--metrics", "lve,xyz"], "unknown metric"),
        (["--definition", "all"], "one --definition"),
        (["--reference", "nobody"], "is none of the methods"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, selftalk, three_methods, capsys, extra, message):
    argv = [
        "compare",
        str(tmp_path / "good"),
        str(tmp_path / "worse"),
        "--data",
        str(tmp_path / "BIWI"),
    ]
    assert selftalk([*argv, "--split", "test-a", *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_one_folder_is_not_a_comparison(tmp_path, selftalk, three_methods, capsys):
    assert selftalk(["compare", str(tmp_path / "good"), "--data", str(tmp_path / "BIWI")]) == 2
    assert "at least two prediction folders" in capsys.readouterr().err
