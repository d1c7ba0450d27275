"""`selftalk prepare biwi` on a fake release: .vl frames in tar/tgz, OBJ templates, FLV audio."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest
import soundfile
from data_helpers import run_cli
from raw_release_fakes import vl_bytes, write_fake_biwi

from selftalk.data.biwi import BiwiOptions, parse_vl, prepare_biwi
from selftalk.errors import InputError


def matlab_normalise(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """CodeTalker's Matlab steps, written independently: V*rotx(pi), centre, / sqrt(sum of
    mixed Voronoi vertex areas) as cotLaplacian.m computes them."""
    theta = np.pi
    rotx = np.array(
        [[1, 0, 0], [0, np.cos(theta), -np.sin(theta)], [0, np.sin(theta), np.cos(theta)]]
    )
    v = vertices.astype(np.float64) @ rotx
    v = v - v.mean(axis=0)
    x1, x2, x3 = v[faces[:, 0]], v[faces[:, 1]], v[faces[:, 2]]
    l1 = np.linalg.norm(x2 - x3, axis=1)
    l2 = np.linalg.norm(x1 - x3, axis=1)
    l3 = np.linalg.norm(x1 - x2, axis=1)
    angles = np.arccos(
        np.stack(
            [
                (l2**2 + l3**2 - l1**2) / (2 * l2 * l3),
                (l1**2 + l3**2 - l2**2) / (2 * l1 * l3),
                (l1**2 + l2**2 - l3**2) / (2 * l1 * l2),
            ],
            axis=1,
        )
    )
    edges = np.stack([l1, l2, l3], axis=1)
    half_cot = 0.5 / np.tan(angles)
    per_vertex = 0.25 * (
        edges[:, [1, 2, 0]] ** 2 * half_cot[:, [1, 2, 0]]
        + edges[:, [2, 0, 1]] ** 2 * half_cot[:, [2, 0, 1]]
    )
    double_area = np.linalg.norm(np.cross(x1 - x2, x1 - x3), axis=1)
    for corner in range(3):  # obtuse corner: barycentric split
        obtuse = half_cot[:, corner] < 0
        shares = np.full(3, 1 / 8)
        shares[corner] = 1 / 4
        per_vertex[obtuse] = double_area[obtuse, None] * shares
    return v / np.sqrt(per_vertex.sum())


@pytest.fixture
def release(tmp_path):
    return write_fake_biwi(tmp_path / "raw")


@pytest.fixture
def prepared(release, tmp_path):
    out = tmp_path / "out"
    report = prepare_biwi(
        release.root, out, BiwiOptions(regions=release.root / "regions", progress=False)
    )
    return release, out, report


def test_vl_count_of_4_or_8_bytes_is_recognised_by_the_file_size():
    vertices = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_array_equal(parse_vl(vl_bytes(vertices, 4)), vertices)
    np.testing.assert_array_equal(parse_vl(vl_bytes(vertices, 8)), vertices)
    with pytest.raises(InputError, match="do not hold the 4 vertices"):
        parse_vl(vl_bytes(vertices, 4)[:-1])
    with pytest.raises(InputError, match="do not hold"):
        parse_vl(vl_bytes(vertices, 4) + b"\0\0")
    with pytest.raises(InputError, match="at least 4 bytes"):
        parse_vl(b"\1")


def test_frames_and_templates_match_the_matlab_normalisation(prepared):
    release, out, report = prepared
    assert report.written == 4 and not report.failed and not report.warnings
    for (subject, sentence), frames in release.frames.items():
        expected = np.stack([matlab_normalise(f, release.faces) for f in frames]).reshape(
            len(frames), -1
        )
        got = np.load(out / "vertices_npy" / f"{subject}_{sentence}.npy")
        assert got.shape == expected.shape  # every frame, none from the .tgz without frames
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    with np.load(out / "templates.npz") as npz:
        for subject, template in release.templates.items():
            np.testing.assert_allclose(
                npz[subject], matlab_normalise(template, release.faces), rtol=1e-5, atol=1e-6
            )


def test_frames_are_in_frame_number_order(prepared):
    release, out, _ = prepared
    frames = release.frames["M1", "e38"]  # frame_1.vl … frame_11.vl, unpadded
    got = np.load(out / "vertices_npy" / "M1_e38.npy")
    np.testing.assert_allclose(
        got[9], matlab_normalise(frames[9], release.faces).ravel(), rtol=1e-5, atol=1e-6
    )


def test_audio_comes_from_the_flv(prepared):
    release, out, _ = prepared
    for (subject, sentence), frequency in release.tones.items():
        samples, rate = soundfile.read(out / "wav" / f"{subject}_{sentence}.wav", dtype="int16")
        info = soundfile.info(out / "wav" / f"{subject}_{sentence}.wav")
        assert (rate, info.channels, info.subtype) == (44100, 2, "PCM_16")
        seconds = len(release.frames[subject, sentence]) / 25
        assert abs(len(samples) / rate - seconds) < 0.1  # MP3 adds a little padding
        spectrum = np.abs(np.fft.rfft(samples[:, 0].astype(np.float64)))
        peak = np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)]
        assert abs(peak - frequency) < 5


def test_regions_splits_meta_and_mesh(prepared):
    release, out, _ = prepared
    assert (out / "regions/lve.txt").read_text().strip() == "6, 7, 8, 11, 12, 13"
    assert (out / "regions/fdd.txt").read_text().strip() == "0, 1, 2, 3, 4"
    assert json.loads((out / "splits.json").read_text()) == {
        "train": {"F2": ["e01"]},
        "val": {},
        "test-a": {"F2": ["e37"]},
        "test-b": {"M1": ["e37", "e38"]},
    }
    meta = json.loads((out / "meta.json").read_text())
    assert (meta["name"], meta["fps"], meta["file_fps"], meta["n_vertices"]) == ("biwi", 25, 25, 20)
    from selftalk.mesh import read_mesh

    mesh = read_mesh(out / "mesh.ply")
    np.testing.assert_array_equal(mesh.faces, release.faces)


def test_rerun_is_idempotent(prepared):
    release, out, _ = prepared
    stamps = {p: p.stat().st_mtime_ns for p in (out / "vertices_npy").iterdir()}
    report = prepare_biwi(
        release.root, out, BiwiOptions(regions=release.root / "regions", progress=False)
    )
    assert (report.written, report.skipped) == (0, 4)
    assert stamps == {p: p.stat().st_mtime_ns for p in (out / "vertices_npy").iterdir()}


def test_a_damaged_archive_fails_that_clip_only(release, tmp_path, capsys):
    (release.root / "faces/F2/e37.tgz").write_bytes(b"this is not gzip")
    out = tmp_path / "out"
    code = run_cli(["prepare", "biwi", str(release.root), "-o", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "e37.tgz" in err and "Traceback" not in err
    assert sorted(p.name for p in (out / "vertices_npy").iterdir()) == [
        "F2_e01.npy",
        "M1_e37.npy",
        "M1_e38.npy",
    ]
    assert not (out / "wav" / "F2_e37.wav").exists()  # a clip is written whole or not at all


def test_a_frame_with_a_wrong_size_is_reported(release, tmp_path):
    frames = release.frames["F2", "e01"]
    with tarfile.open(release.root / "faces/F2/e01.tar", "w") as archive:
        for i, frame in enumerate(frames):
            data = vl_bytes(frame)[: -4 if i == 2 else None]
            info = tarfile.TarInfo(f"e01/frame_{i + 1:03d}.vl")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    report = prepare_biwi(release.root, tmp_path / "out", BiwiOptions(progress=False))
    assert len(report.failed) == 1 and "frame_003.vl" in report.failed[0]


def test_archive_members_never_reach_the_disk(release, tmp_path):
    frames = release.frames["F2", "e01"]
    with tarfile.open(release.root / "faces/F2/e01.tar", "w") as archive:
        for i, frame in enumerate(frames):
            data = vl_bytes(frame)
            info = tarfile.TarInfo(f"../../../escaped_{i}.vl")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    out = tmp_path / "out"
    prepare_biwi(release.root, out, BiwiOptions(progress=False))
    assert list(tmp_path.rglob("escaped_*")) == []
    assert np.load(out / "vertices_npy/F2_e01.npy").shape == (len(frames), 60)


def test_missing_template_or_folders_are_input_errors(release, tmp_path):
    (release.root / "rigid_scans/M1.obj").unlink()
    with pytest.raises(InputError, match="M1.obj"):
        prepare_biwi(release.root, tmp_path / "out", BiwiOptions(progress=False))
    with pytest.raises(InputError, match="not a BIWI release"):
        prepare_biwi(tmp_path, tmp_path / "out", BiwiOptions(progress=False))


def test_a_clip_without_video_is_skipped_with_a_warning(release, tmp_path):
    (release.root / "videos/M1_e38.flv").unlink()
    out = tmp_path / "out"
    report = prepare_biwi(release.root, out, BiwiOptions(progress=False))
    assert any("M1_e38" in w for w in report.warnings)
    assert not (out / "vertices_npy/M1_e38.npy").exists()
    assert any("--regions" in w for w in report.warnings)


def test_cli_prepare_biwi_then_check(release, tmp_path, capsys):
    out = tmp_path / "out"
    args = [
        "prepare",
        "biwi",
        str(release.root),
        "-o",
        str(out),
        "--regions",
        str(release.root / "regions"),
        "-q",
    ]
    assert run_cli(args) == 0
    assert "4 clips written" in capsys.readouterr().out
    assert run_cli(["data", "check", str(out), "-q"]) == 0
