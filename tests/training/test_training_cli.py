import json

import numpy as np
import pytest
from toy_data import make_toy_dataset

from selftalk.cli import main


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return make_toy_dataset(tmp_path_factory.mktemp("toycli") / "data")


def test_train_test_metrics_predict_end_to_end(toy, tmp_path, capsys):
    run, preds = tmp_path / "run", tmp_path / "pred"
    assert (
        main(
            [
                "train",
                "--preset",
                "tiny",
                "--data",
                str(toy),
                "--out",
                str(run),
                "--no-progress",
                "train.epochs=2",
                "train.lr=0.003",
            ]
        )
        == 0
    )
    assert json.loads((run / "config.json").read_text())["train"]["epochs"] == 2
    assert (
        main(["test", "--run", str(run), "--data", str(toy), "--split", "test", "-o", str(preds)])
        == 0
    )
    written = sorted(p.name for p in preds.iterdir())
    assert written == ["toy2_s03.npy"]
    motion = np.load(preds / written[0])
    gt = np.load(toy / "vertices_npy" / written[0])[::2]
    assert motion.shape == (len(gt), 64, 3)
    assert (
        main(
            [
                "metrics",
                "--pred",
                str(preds),
                "--data",
                str(toy),
                "--split",
                "test",
                "-o",
                str(tmp_path / "report.json"),
            ]
        )
        == 0
    )
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["n_clips"] == 1 and report["clips"][0]["lve"] > 0
    assert (
        main(
            [
                "metrics",
                "--pred",
                str(preds),
                "--data",
                str(toy),
                "--split",
                "test",
                "--run",
                str(run),
                "-o",
                str(tmp_path / "cer.json"),
            ]
        )
        == 0
    )
    assert "cer" in json.dumps(json.loads((tmp_path / "cer.json").read_text())).lower()
    out = tmp_path / "one.npy"
    assert (
        main(
            [
                "predict",
                str(toy / "wav" / "toy0_s00.wav"),
                "--run",
                str(run),
                "--subject",
                "toy0",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert np.load(out).shape[1:] == (64, 3)
    # resuming extends a finished run
    assert (
        main(["train", "--resume", str(run), "--data", str(toy), "--no-progress", "train.epochs=3"])
        == 0
    )
    assert json.loads((run / "checkpoints" / "latest.json").read_text())["epoch"] == 3


def test_cli_errors_are_one_line(toy, tmp_path, capsys):
    assert (
        main(["train", "--preset", "nope", "--data", str(toy), "--out", str(tmp_path / "r")]) == 2
    )
    assert "unknown preset 'nope'" in capsys.readouterr().err
    assert (
        main(
            [
                "train",
                "--preset",
                "tiny",
                "--data",
                str(toy),
                "--out",
                str(tmp_path / "r"),
                "train.lrr=1",
            ]
        )
        == 2
    )
    assert "train.lrr" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "none"), "--data", str(toy)]) == 2
    assert "not a training run directory" in capsys.readouterr().err
    assert (
        main(
            [
                "predict",
                str(tmp_path / "missing.wav"),
                "--run",
                str(tmp_path),
                "-o",
                str(tmp_path / "x.npy"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
