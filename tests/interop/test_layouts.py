"""Other repositories' dataset layouts, read as they are by metrics, test's dataset and data check."""

from __future__ import annotations

import json

import numpy as np
import pytest
from interop_fakes import (
    VOCA_TEST,
    codetalker_biwi,
    faceformer_vocaset,
    predict,
    selftalk_biwi,
    unitalker_biwi,
)
from naive import definition as naive_definition

from selftalk import cli
from selftalk.data.layouts import FaceFormerLayout, UniTalkerLayout, open_dataset
from selftalk.errors import InputError


@pytest.fixture
def selftalk(monkeypatch):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["selftalk.cli.metrics", "selftalk.cli.data"])
    return cli.main


def _metrics(selftalk, pred, data, *extra):
    out = pred.parent / f"{pred.name}.json"
    code = selftalk(["metrics", "--pred", str(pred), "--data", str(data), "-o", str(out), *extra])
    return code, (json.loads(out.read_text()) if code == 0 else None)


def _clips(ds, preds, names):
    return [(preds[c], ds["gt"][c], ds["templates"][c.rpartition("_")[0]]) for c in names]


def test_codetalker_biwi_folder_scores_test_with_no_preparation(tmp_path, selftalk, capsys):
    ds = codetalker_biwi(tmp_path / "BIWI")
    preds = predict(ds["gt"], tmp_path / "pred", ds["test_a"], extra=2)
    code, report = _metrics(selftalk, tmp_path / "pred", tmp_path / "BIWI", "--split", "test")
    err = capsys.readouterr().err
    assert code == 0, err
    assert "using 'test-a'" in err  # BIWI's "test" is Test-A, as CodeTalker's cal_metric.py
    assert report["layout"] == "faceformer" and report["dataset"] == "biwi"
    assert report["regions"] == "regions/lve.txt + regions/fdd.txt"
    assert sorted(c["name"] for c in report["clips"]) == sorted(ds["test_a"])
    lve, fdd = naive_definition(
        "codetalker", _clips(ds, preds, ds["test_a"]), ds["lip"], ds["upper"]
    )
    assert report["metrics"]["lve"] == pytest.approx(lve, rel=1e-9)
    assert report["metrics"]["fdd"] == pytest.approx(fdd, rel=1e-6, abs=1e-12)
    # Test-B is the unseen subject; the training sentence is in no test split
    predict(ds["gt"], tmp_path / "pred_b", ["F1_e37"])
    code, report = _metrics(selftalk, tmp_path / "pred_b", tmp_path / "BIWI", "--split", "test-b")
    assert code == 0 and [c["name"] for c in report["clips"]] == ["F1_e37"]


def test_faceformer_vocaset_takes_every_second_frame_and_the_official_test_split(
    tmp_path, selftalk, capsys
):
    ds = faceformer_vocaset(tmp_path / "vocaset", masks=True)
    layout = open_dataset(tmp_path / "vocaset")
    assert isinstance(layout, FaceFormerLayout)
    assert (layout.meta.name, layout.meta.fps, layout.meta.file_fps) == ("vocaset", 30, 60)
    assert layout.mesh_path.name == "FLAME_sample.ply"
    preds = predict(ds["gt"], tmp_path / "pred", ds["test"])
    code, report = _metrics(
        selftalk, tmp_path / "pred", tmp_path / "vocaset", "--definition", "all"
    )
    assert code == 0, capsys.readouterr().err
    assert sorted(c["name"] for c in report["clips"]) == sorted(
        ds["test"]
    )  # sentence02 is not test
    assert [c["gt_frames"] for c in report["clips"]] == [
        len(ds["gt"][c["name"]]) for c in report["clips"]
    ]
    assert "FLAME_masks.pkl 'lips'" in report["regions"]
    clips = _clips(ds, preds, [c["name"] for c in report["clips"]])
    for name, values in report["definitions"].items():
        lve, fdd = naive_definition(name, clips, ds["lip"], ds["upper"], dataset="vocaset", fps=30)
        assert values["lve"] == pytest.approx(lve, rel=1e-9), name
        if fdd is not None:
            assert values["fdd"] == pytest.approx(fdd, rel=1e-6, abs=1e-12), name
    out = capsys.readouterr().out
    assert "LVE (unitalker)" in out and "lip max L2 (imitator)" in out and " mm" in out


def test_a_missing_mask_says_where_users_get_it(tmp_path, selftalk, capsys):
    ds = faceformer_vocaset(tmp_path / "vocaset")  # FaceFormer's folder has no masks
    predict(ds["gt"], tmp_path / "pred", ds["test"])
    code, _ = _metrics(selftalk, tmp_path / "pred", tmp_path / "vocaset")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "FLAME_masks.pkl" in err[0] and "flame.is.tue.mpg.de" in err[0] and "--regions" in err[0]
    # the mask from elsewhere: --regions PATH
    masks = tmp_path / "elsewhere" / "FLAME_masks.pkl"
    faceformer_vocaset(tmp_path / "other", masks=True)
    masks.parent.mkdir()
    masks.write_bytes((tmp_path / "other" / "FLAME_masks.pkl").read_bytes())
    code, report = _metrics(
        selftalk, tmp_path / "pred", tmp_path / "vocaset", "--regions", str(masks)
    )
    assert code == 0 and report["metrics"]["fdd"] is not None


def test_biwi_lip_pickle_of_selftalk_release(tmp_path, selftalk, capsys):
    ds = selftalk_biwi(tmp_path / "BIWI")
    preds = predict(ds["gt"], tmp_path / "pred", ds["test_a"])
    code, report = _metrics(selftalk, tmp_path / "pred", tmp_path / "BIWI", "--split", "test-a")
    assert code == 0, capsys.readouterr().err
    assert report["regions"] == "BIWI_lip.pkl" and report["metrics"]["fdd"] is None
    lve, _ = naive_definition("codetalker", _clips(ds, preds, ds["test_a"]), ds["lip"], ds["upper"])
    assert report["metrics"]["lve"] == pytest.approx(lve, rel=1e-9)
    code, _ = _metrics(
        selftalk, tmp_path / "pred", tmp_path / "BIWI", "--split", "test-a", "--regions", "flame"
    )
    err = capsys.readouterr().err
    assert code == 2 and "FLAME_masks.pkl: no such file" in err


def test_unitalker_layout(tmp_path, selftalk, capsys):
    ds = unitalker_biwi(tmp_path / "D0_BIWI")
    layout = open_dataset(tmp_path / "D0_BIWI")
    assert isinstance(layout, UniTalkerLayout)
    assert layout.splits() == {"train": {"F2": ["e01"]}, "test": {"F2": ["e37"], "M3": ["e37"]}}
    assert np.allclose(layout.templates()["M3"], ds["templates"]["M3"])
    assert layout.meta.extra["unitalker_scale"] == 0.2
    preds = predict(ds["gt"], tmp_path / "pred", ds["test"])
    code, report = _metrics(
        selftalk, tmp_path / "pred", tmp_path / "D0_BIWI", "--definition", "unitalker,codetalker"
    )
    assert code == 0, capsys.readouterr().err
    lve, fdd = naive_definition(
        "unitalker", _clips(ds, preds, ds["test"]), ds["lip"], ds["upper"], dataset="biwi"
    )
    assert report["definition"] == "unitalker"
    assert report["metrics"]["lve"] == pytest.approx(lve, rel=1e-9)
    assert report["metrics"]["fdd"] == pytest.approx(fdd, rel=1e-6, abs=1e-12)


def test_sixty_fps_unitalker_motion_is_used_every_second_frame(tmp_path):
    ds = unitalker_biwi(tmp_path / "D1")
    for split in ("train", "test"):
        path = tmp_path / "D1" / f"{split}.json"
        obj = json.loads(path.read_text())
        for item in obj["data"]:
            item["fps"], item["annot_type"], item["dataset"] = 60, "FLAME_5023_vertices", "D1"
        path.write_text(json.dumps(obj))
    from selftalk.metrics.groundtruth import EvaluationData

    data = EvaluationData(tmp_path / "D1")
    assert (data.name, data.fps, data.frame_step) == ("vocaset", 30, 2)
    assert np.array_equal(data.ground_truth("F2_e37"), ds["gt"]["F2_e37"][::2])


def test_split_file_replaces_the_official_splits(tmp_path, selftalk, capsys):
    ds = codetalker_biwi(tmp_path / "BIWI")
    (tmp_path / "mine.json").write_text(json.dumps({"held": {"F2": ["e01"], "F1": ["e37"]}}))
    predict(ds["gt"], tmp_path / "pred", ["F2_e01", "F1_e37"])
    code, report = _metrics(
        selftalk,
        tmp_path / "pred",
        tmp_path / "BIWI",
        "--split",
        "held",
        "--split-file",
        str(tmp_path / "mine.json"),
    )
    assert code == 0, capsys.readouterr().err
    assert sorted(c["name"] for c in report["clips"]) == ["F1_e37", "F2_e01"]
    code, _ = _metrics(selftalk, tmp_path / "pred", tmp_path / "BIWI", "--split", "nope")
    assert (
        code == 2
        and "has no split 'nope' (it has: train, val, test-a, test-b)" in capsys.readouterr().err
    )


def test_condition_predictions_of_faceformer_and_codetalker(tmp_path, selftalk, capsys):
    ds = codetalker_biwi(tmp_path / "BIWI")
    # seen subjects: one file a clip, conditioned on its own subject (CodeTalker's cal_metric.py)
    own = predict(
        ds["gt"], tmp_path / "pred", ds["test_a"], name=lambda c: f"{c}_condition_{c[:2]}"
    )
    predict(ds["gt"], tmp_path / "pred", ds["test_a"], seed=5, name=lambda c: f"{c}_condition_M5")
    code, report = _metrics(selftalk, tmp_path / "pred", tmp_path / "BIWI", "--split", "test-a")
    assert code == 0, capsys.readouterr().err
    lve, _ = naive_definition("codetalker", _clips(ds, own, ds["test_a"]), ds["lip"], ds["upper"])
    assert report["metrics"]["lve"] == pytest.approx(lve, rel=1e-9)
    assert {c["condition"] for c in report["clips"]} == {"F2", "M3"}
    code, report = _metrics(
        selftalk,
        tmp_path / "pred",
        tmp_path / "BIWI",
        "--split",
        "test-a",
        "--condition",
        "all",
        "--definition",
        "diffspeaker",
    )
    assert code == 0 and report["n_clips"] == 8  # predictions; the clips stay 4 units
    assert "4 clips (8 predictions)" in capsys.readouterr().out


def test_data_check_reads_other_layouts(tmp_path, selftalk, capsys):
    codetalker_biwi(tmp_path / "BIWI")
    assert selftalk(["data", "check", str(tmp_path / "BIWI"), "-q"]) == 0
    assert "6 clips, no problems" in capsys.readouterr().out
    faceformer_vocaset(tmp_path / "vocaset")
    assert selftalk(["data", "check", str(tmp_path / "vocaset"), "-q"]) == 1
    out = capsys.readouterr().out
    assert "FLAME_masks.pkl" in out and "[regions]" in out
    unitalker_biwi(tmp_path / "D0")
    assert selftalk(["data", "check", str(tmp_path / "D0"), "-q"]) == 0, capsys.readouterr().out


def test_training_dataset_reads_a_codetalker_folder(tmp_path):
    from selftalk.data.dataset import TalkingFaceDataset

    ds = faceformer_vocaset(tmp_path / "vocaset")
    data = TalkingFaceDataset(tmp_path / "vocaset", "test")
    assert sorted(data.names) == sorted(ds["test"])
    clip = data[data.names.index(ds["test"][0])]
    assert np.allclose(clip.vertices.numpy(), ds["gt"][ds["test"][0]])  # every 2nd of 60 fps
    assert np.allclose(clip.template.numpy(), ds["templates"][VOCA_TEST[0]])
    biwi = TalkingFaceDataset(codetalker_biwi(tmp_path / "BIWI") and tmp_path / "BIWI", "test")
    assert biwi.notes and sorted(biwi.names) == ["F2_e37", "F2_e38", "M3_e37", "M3_e38"]


def test_topology_of_a_codetalker_folder(tmp_path):
    ds = codetalker_biwi(tmp_path / "BIWI")
    layout = open_dataset(tmp_path / "BIWI")
    topology = layout.topology()
    assert (topology.fps, topology.name, topology.n_vertices) == (25.0, "biwi", 30)
    assert np.array_equal(topology.lip_indices, ds["lip"])
    assert np.array_equal(layout.upper_face_indices(), ds["upper"])
    (tmp_path / "BIWI" / "BIWI.ply").unlink()
    with pytest.raises(InputError, match="no mesh file"):
        layout.topology()


def test_a_folder_of_no_known_layout(tmp_path, selftalk, capsys):
    (tmp_path / "junk").mkdir()
    (tmp_path / "pred").mkdir()
    assert (
        selftalk(["metrics", "--pred", str(tmp_path / "pred"), "--data", str(tmp_path / "junk")])
        == 2
    )
    err = capsys.readouterr().err
    assert "meta.json: no such file" in err and "templates.pkl" in err and "UniTalker" in err
