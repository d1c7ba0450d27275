"""``selftalk metrics`` end to end on a tiny dataset written by the test."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import require_module
from metrics_fixtures import make_dataset, naive_fdd, naive_lrp, naive_lve, naive_mve

from selftalk import cli


@pytest.fixture
def selftalk(monkeypatch):
    """``main`` with only this verb registered (other verbs may not exist on this branch)."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["selftalk.cli.metrics"])
    return cli.main


def _predict(ds, pred_dir, rng, *, offsets=None, flat=False, skip=()):
    pred_dir.mkdir()
    preds = {}
    for i, clip in enumerate(ds["clips"]):
        if clip in skip:
            continue
        gt = ds["gt"][clip]
        n = len(gt) + (offsets or {}).get(clip, 0)
        pred = np.concatenate([gt, gt[-1:].repeat(max(0, n - len(gt)), 0)])[:n]
        pred = (pred + 0.05 * rng.normal(size=pred.shape)).astype(np.float32)
        np.save(pred_dir / f"{clip}.npy", pred.reshape(n, -1) if flat and i % 2 else pred)
        preds[clip] = pred
    return preds


def test_end_to_end_numbers_json_and_plots(tmp_path, selftalk, capsys):
    require_module("matplotlib")
    ds = make_dataset(tmp_path / "data", frames=(7, 5, 9, 1))
    rng = np.random.default_rng(0)
    preds = _predict(ds, tmp_path / "pred", rng, offsets={"SubA_s02": 3}, flat=True)
    out = tmp_path / "out" / "report.json"
    code = selftalk(
        [
            "metrics",
            "--pred",
            str(tmp_path / "pred"),
            "--data",
            str(tmp_path / "data"),
            "--rho",
            "0.1",
            "0.2",
            "-o",
            str(out),
            "--plots",
            str(tmp_path / "plots"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(out.read_text())
    pairs = [(preds[c], ds["gt"][c]) for c in ds["clips"]]
    triples = [(preds[c], ds["gt"][c], ds["templates"][c.rsplit("_", 1)[0]]) for c in ds["clips"]]
    m = report["metrics"]
    assert report["n_clips"] == 4 and report["n_frames"] == 7 + 5 + 9 + 1
    assert m["lve"] == pytest.approx(naive_lve(pairs, ds["lip"]), rel=1e-9)
    assert m["mve"] == pytest.approx(naive_mve(pairs), rel=1e-9)
    assert m["fdd"] == pytest.approx(naive_fdd(triples, ds["upper"]), rel=1e-6, abs=1e-12)
    assert m["lrp"]["0.1"] == pytest.approx(naive_lrp(pairs, ds["lip"], 0.1))
    assert m["lrp"]["0.2"] == pytest.approx(naive_lrp(pairs, ds["lip"], 0.2))
    assert m["cer"] is None
    assert report["lrp_curve"]["lrp"][-1] == 1.0
    # ground truth at the dataset fps: every 2nd stored frame (file_fps 30, fps 15)
    assert [c["gt_frames"] for c in report["clips"]] == [7, 5, 9, 1]
    assert "longer than the ground truth" in captured.err
    assert "LVE" in captured.out and "LRP (ρ = 0.1" in captured.out
    for name in ("lrp_curve.png", "lip_error.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_predictions_are_listed_or_allowed(tmp_path, selftalk, capsys):
    ds = make_dataset(tmp_path / "data")
    _predict(ds, tmp_path / "pred", np.random.default_rng(1), skip={"SubB_s01"})
    args = ["metrics", "--pred", str(tmp_path / "pred"), "--data", str(tmp_path / "data")]
    assert selftalk(args) == 2
    err = capsys.readouterr().err
    assert "SubB_s01" in err and "--allow-missing" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert selftalk([*args, "--allow-missing", "-o", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["missing"] == ["SubB_s01"] and report["n_clips"] == 3


def test_short_predictions_warn_or_fail(tmp_path, selftalk, capsys):
    ds = make_dataset(tmp_path / "data", frames=(7, 5, 9, 3))
    preds = _predict(ds, tmp_path / "pred", np.random.default_rng(2), offsets={"SubA_s01": -2})
    args = ["metrics", "--pred", str(tmp_path / "pred"), "--data", str(tmp_path / "data")]
    assert selftalk([*args, "--strict-length"]) == 2
    assert "SubA_s01 (5 < 7)" in capsys.readouterr().err
    assert selftalk([*args, "-o", str(tmp_path / "r.json")]) == 0
    assert "shorter than the ground truth" in capsys.readouterr().err
    report = json.loads((tmp_path / "r.json").read_text())
    pairs = [(preds[c], ds["gt"][c]) for c in ds["clips"]]
    assert report["n_frames"] == 5 + 5 + 9 + 3
    assert report["metrics"]["lve"] == pytest.approx(naive_lve(pairs, ds["lip"]), rel=1e-9)


def test_cer_from_hypotheses_and_meta_transcripts(tmp_path, selftalk, capsys):
    texts = {
        "SubA_s01": "Hello world.",
        "SubA_s02": "Good day",
        "SubB_s01": "Yes",
        "SubB_s02": "No",
    }
    ds = make_dataset(tmp_path / "data", transcripts=texts)
    _predict(ds, tmp_path / "pred", np.random.default_rng(3))
    hyp = {"SubA_s01": "HELO WORLD", "SubA_s02": "GOOD DAY", "SubB_s01": "YES"}
    (tmp_path / "hyp.json").write_text(json.dumps(hyp))
    out = tmp_path / "r.json"
    assert (
        selftalk(
            [
                "metrics",
                "--pred",
                str(tmp_path / "pred"),
                "--data",
                str(tmp_path / "data"),
                "--hypotheses",
                str(tmp_path / "hyp.json"),
                "-o",
                str(out),
            ]
        )
        == 0
    )
    report = json.loads(out.read_text())
    # 1 edit over "HELLO WORLD" + "GOOD DAY" + "YES" = 11 + 8 + 3 characters
    assert report["metrics"]["cer"] == pytest.approx(1 / 22)
    assert report["cer_detail"]["n_clips"] == 3
    assert "1 clip(s) have no lip-reading transcript" in capsys.readouterr().err


def test_bad_inputs_give_one_line_errors(tmp_path, selftalk, capsys):
    ds = make_dataset(tmp_path / "data")
    _predict(ds, tmp_path / "pred", np.random.default_rng(4))
    args = ["metrics", "--pred", str(tmp_path / "pred"), "--data", str(tmp_path / "data")]
    np.save(tmp_path / "pred" / "SubA_s01.npy", np.zeros((4, 5, 3), np.float32))  # wrong V
    assert selftalk(args) == 2
    err = capsys.readouterr().err
    assert "SubA_s01.npy" in err and "vertices" in err and len(err.strip().splitlines()) == 1
    bad = np.zeros((4, 12, 3), np.float32)
    bad[1, 2, 0] = np.nan
    np.save(tmp_path / "pred" / "SubA_s01.npy", bad)
    assert selftalk(args) == 2
    assert "NaN" in capsys.readouterr().err
    assert selftalk([*args, "--split", "nope"]) == 2
    assert "no split 'nope'" in capsys.readouterr().err
    assert selftalk([*args, "--rho", "-1"]) == 2
    assert "positive" in capsys.readouterr().err
    assert (
        selftalk(["metrics", "--pred", str(tmp_path / "none"), "--data", str(tmp_path / "data")])
        == 2
    )
    assert "no such prediction directory" in capsys.readouterr().err


def test_scales_and_default_rho(tmp_path, selftalk, capsys):
    ds = make_dataset(tmp_path / "data", name="vocaset")
    _predict(ds, tmp_path / "pred", np.random.default_rng(5))
    args = [
        "metrics",
        "--pred",
        str(tmp_path / "pred"),
        "--data",
        str(tmp_path / "data"),
        "-o",
        str(tmp_path / "r.json"),
    ]
    assert selftalk(args) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "r.json").read_text())
    lve = report["metrics"]["lve"]
    assert report["scale"]["name"] == "vocaset"  # auto: by the dataset's name
    assert f"{lve / 1e-5:.4f} ×1e-5 m²" in out and f"{lve:.6e} m²" in out
    assert list(report["metrics"]["lrp"]) == ["0.002", "0.005", "0.01"]
    assert selftalk([*args, "--scale", "raw"]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    lip = ds["lip"]
    mean_template = np.mean([ds["templates"][s] for s in ("SubA", "SubB")], axis=0)[lip]
    mouth = np.linalg.norm(mean_template.max(0) - mean_template.min(0))
    rhos = [float(k) for k in report["metrics"]["lrp"]]
    assert rhos == pytest.approx([0.025 * mouth, 0.05 * mouth, 0.1 * mouth], rel=0.05)
