"""`selftalk data check`: every problem it knows is detected, without crashing."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile
from data_helpers import build_dataset, run_cli, tone

from selftalk.data.check import KINDS, check_dataset


def _rewrite_splits(root, change):
    splits = json.loads((root / "splits.json").read_text())
    change(splits)
    (root / "splits.json").write_text(json.dumps(splits))


def _npy(root, name, array):
    np.save(root / "vertices_npy" / f"{name}.npy", array)


def _nan_frames(root):
    motion = np.load(root / "vertices_npy/alice_s02.npy")
    motion[2, 0] = np.nan
    motion[4, 5] = np.inf
    _npy(root, "alice_s02", motion)


def _templates_without_bob(root):
    with np.load(root / "templates.npz") as npz:
        np.savez(root / "templates.npz", alice=npz["alice"])


def _nan_template(root):
    with np.load(root / "templates.npz") as npz:
        alice = npz["alice"].copy()
        alice[0, 0] = np.nan
        np.savez(root / "templates.npz", alice=alice, bob=npz["bob"])


DAMAGES = {
    "audio-without-motion": lambda r: (r / "vertices_npy/alice_s02.npy").unlink(),
    "motion-without-audio": lambda r: (r / "wav/alice_s02.wav").unlink(),
    "vertex-count": lambda r: _npy(r, "alice_s02", np.zeros((7, 15), np.float32)),
    "non-finite": _nan_frames,
    "duration": lambda r: soundfile.write(r / "wav/alice_s02.wav", tone(2.0, 16000), 16000),
    "audio-unreadable": lambda r: (r / "wav/alice_s02.wav").write_bytes(b"RIFF....garbage" * 10),
    "audio-empty": lambda r: soundfile.write(
        r / "wav/alice_s02.wav", np.zeros(0, np.float32), 16000
    ),
    "audio-empty (0 bytes)": lambda r: (r / "wav/alice_s02.wav").write_bytes(b""),
    "motion-unreadable": lambda r: (r / "vertices_npy/alice_s02.npy").write_bytes(b"not numpy"),
    "motion-unreadable (0 frames)": lambda r: _npy(r, "alice_s02", np.zeros((0, 18), np.float32)),
    "split-unknown-subject": lambda r: _rewrite_splits(r, lambda s: s.update(val={"zed": ["s01"]})),
    "split-missing-clip": lambda r: _rewrite_splits(r, lambda s: s["train"]["alice"].append("s09")),
    "splits": lambda r: (r / "splits.json").write_text('{"train": {"alice": "s01"}}'),
    "missing-template": _templates_without_bob,
    "templates": _nan_template,
    "templates (absent)": lambda r: (r / "templates.npz").unlink(),
    "mesh": lambda r: (r / "mesh.ply").unlink(),
    "regions": lambda r: (r / "regions/lve.txt").write_text("1, 2, 99"),
    "regions (absent)": lambda r: (r / "regions/lve.txt").unlink(),
    "meta": lambda r: (r / "meta.json").write_text('{"fps": -1}'),
    "clip-name": lambda r: shutil.copy(
        r / "vertices_npy/bob_s01.npy", r / "vertices_npy/orphan.npy"
    ),
}
# a clip deleted from one side also leaves a split naming a clip that is not whole
COLLATERAL = {
    "audio-without-motion": {"split-missing-clip"},
    "motion-without-audio": {"split-missing-clip"},
}


@pytest.fixture
def clean(tmp_path):
    build_dataset(tmp_path / "d")
    return tmp_path / "d"


def test_a_clean_dataset_has_no_problems(clean):
    report = check_dataset(clean)
    assert report.ok and report.n_clips == 3 and report.warnings == []


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_each_problem_is_detected(clean, damage):
    DAMAGES[damage](clean)
    report = check_dataset(clean)
    kind = damage.split(" ")[0]
    assert kind in KINDS
    assert report.kinds() == {kind} | COLLATERAL.get(kind, set()), [str(p) for p in report.problems]


def test_details_of_the_reports(clean):
    _nan_frames(clean)
    DAMAGES["duration"](clean)
    DAMAGES["split-unknown-subject"](clean)
    lines = [str(p) for p in check_dataset(clean).problems]
    assert (
        "vertices_npy/alice_s02.npy: 2 of 7 frames contain NaN or infinite values [non-finite]"
        in lines
    )
    assert any(
        line.startswith(
            "vertices_npy/alice_s02.npy: motion lasts 0.12 s (7 frames at 60 fps), audio 2.00 s"
        )
        for line in lines
    )
    assert "splits.json: split 'val' names unknown subject(s) zed [split-unknown-subject]" in lines


def test_missing_upper_face_and_splits_are_warnings(clean):
    (clean / "regions/fdd.txt").unlink()
    (clean / "splits.json").unlink()
    report = check_dataset(clean)
    assert report.ok and {w.kind for w in report.warnings} == {"regions", "splits"}


def test_tolerance(clean):
    soundfile.write(clean / "wav/alice_s02.wav", tone(7 / 60 + 0.7, 16000), 16000)
    assert check_dataset(clean).kinds() == {"duration"}  # default: 0.5 s
    assert check_dataset(clean, tolerance=1.0).ok


def test_cli_reports_every_problem_and_exits_1(clean, capsys):
    for damage in (
        "non-finite",
        "audio-unreadable",
        "split-unknown-subject",
        "vertex-count",
        "mesh",
    ):
        DAMAGES[damage](clean)
    (clean / "vertices_npy/bob_s01.npy").unlink()
    assert run_cli(["data", "check", str(clean), "-q"]) == 1
    captured = capsys.readouterr()
    for kind in (
        "[audio-unreadable]",
        "[split-unknown-subject]",
        "[mesh]",
        "[audio-without-motion]",
    ):
        assert kind in captured.out
    assert (
        "problem(s) in 3 clips" in captured.err and "Traceback" not in captured.out + captured.err
    )


def test_cli_survives_a_directory_of_garbage(tmp_path, capsys):
    root = tmp_path / "junk"
    for sub in ("wav", "vertices_npy", "regions"):
        (root / sub).mkdir(parents=True)
    for path in (
        "meta.json",
        "templates.npz",
        "mesh.ply",
        "splits.json",
        "regions/lve.txt",
        "wav/a_b.wav",
        "wav/a_c.mp3",
        "vertices_npy/a_b.npy",
        "vertices_npy/x.npy",
    ):
        (root / path).write_bytes(b"\x00\xffgarbage")
    assert run_cli(["data", "check", str(root), "-q"]) == 1
    out = capsys.readouterr().out
    for kind in (
        "meta",
        "templates",
        "mesh",
        "regions",
        "audio-unreadable",
        "motion-unreadable",
        "clip-name",
        "splits",
    ):
        assert f"[{kind}]" in out


def test_cli_on_a_missing_directory_is_one_line(tmp_path, capsys):
    assert run_cli(["data", "check", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such dataset directory" in err
