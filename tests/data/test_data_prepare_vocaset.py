"""`selftalk prepare vocaset` on a fake release in the exact formats of the real one."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import python2_pickle
import soundfile
from data_helpers import run_cli
from raw_release_fakes import VOCA_TEST, VOCA_TRAIN, VOCA_VAL, write_fake_vocaset

from selftalk.data.safe_pickle import UnsafePickleError
from selftalk.data.vocaset import VocasetOptions, prepare_vocaset
from selftalk.errors import InputError

QUIET = VocasetOptions(progress=False)


@pytest.fixture
def release(tmp_path):
    return write_fake_vocaset(tmp_path / "raw")


def _ply_vertices_and_faces(path):
    from plyfile import PlyData

    ply = PlyData.read(str(path))
    v = ply["vertex"]
    faces = np.asarray([list(f) for f in ply["face"].data["vertex_indices"]]).reshape(-1, 3)
    return np.stack([v["x"], v["y"], v["z"]], axis=1), faces


def test_prepared_output_matches_an_independent_computation(release, tmp_path):
    out = tmp_path / "out"
    report = prepare_vocaset(release.root, out, QUIET)
    assert report.written == 5 and report.skipped == 0 and not report.failed

    for subject, sequences in release.index.items():
        for sentence, frames in sequences.items():
            rows = [frames[f] for f in sorted(frames)]  # frame order, whatever the dict order
            expected = release.verts[rows].reshape(len(rows), -1)
            got = np.load(out / "vertices_npy" / f"{subject}_{sentence}.npy")
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, expected)

            samples, rate = soundfile.read(out / "wav" / f"{subject}_{sentence}.wav", dtype="int16")
            assert rate == 22000
            np.testing.assert_array_equal(samples, release.audio[subject][sentence]["audio"])

    with np.load(out / "templates.npz") as npz:
        assert sorted(npz.files) == sorted(release.templates)
        for subject, template in release.templates.items():
            np.testing.assert_allclose(npz[subject], template.astype(np.float32))

    vertices, faces = _ply_vertices_and_faces(out / "mesh.ply")
    np.testing.assert_allclose(vertices, release.mesh_vertices, atol=1e-6)
    np.testing.assert_array_equal(faces, release.faces)

    lips = [int(t) for t in (out / "regions/lve.txt").read_text().split(",")]
    assert lips == list(release.masks["lips"])  # order kept
    upper = [int(t) for t in (out / "regions/fdd.txt").read_text().split(",")]
    assert upper == sorted(set(release.masks["forehead"]) | set(release.masks["eye_region"]))

    splits = json.loads((out / "splits.json").read_text())
    assert splits == {
        "train": {VOCA_TRAIN: ["sentence01", "sentence02"]},
        "val": {VOCA_VAL: ["sentence21"]},  # sentence03 is outside val's 21-40
        "test": {VOCA_TEST: ["sentence40"]},
    }
    meta = json.loads((out / "meta.json").read_text())
    assert (meta["fps"], meta["file_fps"], meta["n_vertices"]) == (30, 60, 20)
    assert meta["subjects"] == sorted([VOCA_TRAIN, VOCA_VAL, VOCA_TEST])
    # the clip with audio and no motion is reported, not written
    assert any(f"{VOCA_TEST}_sentence39" in w for w in report.warnings)
    assert not (out / "wav" / f"{VOCA_TEST}_sentence39.wav").exists()


def test_rerun_skips_finished_files_and_overwrite_rewrites(release, tmp_path):
    out = tmp_path / "out"
    prepare_vocaset(release.root, out, QUIET)
    target = out / "vertices_npy" / f"{VOCA_TRAIN}_sentence01.npy"
    target.write_bytes(target.read_bytes())  # same content, new mtime marker below
    stamp = target.stat().st_mtime_ns
    report = prepare_vocaset(release.root, out, QUIET)
    assert (report.written, report.skipped) == (0, 5)
    assert target.stat().st_mtime_ns == stamp
    report = prepare_vocaset(release.root, out, VocasetOptions(progress=False, overwrite=True))
    assert (report.written, report.skipped) == (5, 0)


def test_an_interrupted_run_resumes(release, tmp_path):
    out = tmp_path / "out"
    prepare_vocaset(release.root, out, QUIET)
    (out / "vertices_npy" / f"{VOCA_VAL}_sentence21.npy").unlink()
    (out / "meta.json").unlink()
    report = prepare_vocaset(release.root, out, QUIET)
    assert (report.written, report.skipped) == (1, 4)
    assert (out / "meta.json").exists()
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".")]
    assert leftovers == []  # no temporary files of atomic writes


def test_data_verts_is_read_memory_mapped(release, tmp_path, monkeypatch):
    calls = []
    original = np.load

    def spy(path, *args, **kwargs):
        calls.append((str(path), kwargs.get("mmap_mode")))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    prepare_vocaset(release.root, tmp_path / "out", QUIET)
    modes = [mode for path, mode in calls if path.endswith("data_verts.npy")]
    assert modes == ["r"]


def test_without_flame_files_prepare_warns_and_writes_the_rest(release, tmp_path):
    (release.root / "FLAME_sample.ply").unlink()
    (release.root / "FLAME_masks.pkl").unlink()
    out = tmp_path / "out"
    report = prepare_vocaset(release.root, out, QUIET)
    assert any("FLAME_sample.ply" in w for w in report.warnings)
    assert any("FLAME_masks.pkl" in w for w in report.warnings)
    assert not (out / "regions").exists()
    vertices, faces = _ply_vertices_and_faces(out / "mesh.ply")
    assert len(faces) == 0
    np.testing.assert_allclose(
        vertices, np.mean(list(release.templates.values()), axis=0), atol=1e-6
    )


def test_a_row_outside_data_verts_is_an_input_error_before_anything_is_written(release, tmp_path):
    release.index[VOCA_TRAIN]["sentence01"][1] = len(release.verts) + 5
    python2_pickle.dump(release.index, release.root / "subj_seq_to_idx.pkl")
    with pytest.raises(InputError, match="outside data_verts.npy"):
        prepare_vocaset(release.root, tmp_path / "out", QUIET)
    assert not (tmp_path / "out").exists()


def test_missing_release_files_are_named(tmp_path):
    (tmp_path / "raw").mkdir()
    with pytest.raises(InputError, match="data_verts.npy, subj_seq_to_idx.pkl"):
        prepare_vocaset(tmp_path / "raw", tmp_path / "out", QUIET)


class _CreatesFile:
    """Unpickling this calls open(path, "w"): a file appears if the loader runs code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_malicious_templates_pickle_is_refused_and_runs_nothing(release, tmp_path):
    marker = tmp_path / "pwned.txt"
    payload = {VOCA_TRAIN: _CreatesFile(marker)}
    (release.root / "templates.pkl").write_bytes(pickle.dumps(payload, protocol=2))
    # the payload is real: the standard unpickler does create the file
    pickle.loads(pickle.dumps(_CreatesFile(tmp_path / "control.txt"))).close()
    assert (tmp_path / "control.txt").exists()

    with pytest.raises(UnsafePickleError, match=r"io\.open"):
        prepare_vocaset(release.root, tmp_path / "out", QUIET)
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


def test_cli_prepare_vocaset(release, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli(["prepare", "vocaset", str(release.root), "-o", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "5 clips written" in captured.out and "sentence39" in captured.err
    assert run_cli(["data", "check", str(out), "--quiet"]) == 0


def test_cli_refuses_a_malicious_pickle_with_one_line(release, tmp_path, capsys):
    marker = tmp_path / "pwned.txt"
    (release.root / "FLAME_masks.pkl").write_bytes(pickle.dumps({"lips": _CreatesFile(marker)}))
    code = run_cli(
        ["prepare", "vocaset", str(release.root), "-o", str(tmp_path / "out"), "--quiet"]
    )
    err = capsys.readouterr().err
    assert code == 2 and not marker.exists()
    assert err.count("\n") == 1 and "refused to load" in err and "Traceback" not in err
