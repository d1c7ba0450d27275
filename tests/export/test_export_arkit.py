"""ARKit-52 solver and writers; OBJ/PLY sequences; the ``selftalk export`` command."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from synthetic_head import head, talking

from selftalk.arkit import timecode
from selftalk.export import (
    LIVE_LINK,
    BlendshapeBasis,
    SolverOptions,
    live_link_csv,
    solve_weights,
    to_arkit,
    write_arkit,
    write_sequence,
)

# The header of a Live Link Face recording, typed from the app's CSV export (not generated).
LIVE_LINK_FACE_HEADER = (
    "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,"
    "EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,"
    "EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,"
    "JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,"
    "MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,"
    "MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
    "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,"
    "MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,"
    "BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,"
    "TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,"
    "RightEyePitch,RightEyeRoll"
)


def synthetic_basis(n_vertices: int = 600, seed: int = 0) -> BlendshapeBasis:
    """52 localised, overlapping (so correlated) blendshapes on random points."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1, 1, (n_vertices, 3))
    centres = rng.uniform(-1, 1, (52, 3))
    falloff = np.exp(-np.sum((points[None] - centres[:, None]) ** 2, axis=-1) / 0.3)
    deltas = falloff[..., None] * rng.normal(size=(52, 1, 3)) * 0.01
    return BlendshapeBasis(
        names=LIVE_LINK, deltas=deltas.astype(np.float32), neutral=points.astype(np.float32)
    )


def smooth_weights(frames: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / 30
    phase = rng.uniform(0, 1, 52)
    freq = rng.uniform(0.1, 0.6, 52)
    return np.clip(0.5 + 0.8 * np.sin(2 * np.pi * (freq * t[:, None] + phase)), 0, 1)


def _motion(basis, weights):
    return basis.neutral[None] + np.einsum("tk,kvc->tvc", weights, basis.deltas)


def test_round_trip_recovers_known_weights():
    basis = synthetic_basis()
    truth = smooth_weights(120)  # many weights sit on the bounds 0 and 1
    result = solve_weights(_motion(basis, truth), basis)
    assert result.converged
    assert result.weights.min() >= 0 and result.weights.max() <= 1
    # the default smoothing rounds the corners where a weight meets a bound, slightly
    assert np.abs(result.weights - truth).max() < 0.05
    assert np.abs(result.weights - truth).mean() < 0.002
    assert result.max_error < 2e-4  # deltas are ~1e-2: the fit is ~1 % of a shape


def test_without_smoothing_each_frame_matches_scipy_lsq_linear():
    from scipy.optimize import lsq_linear

    basis = synthetic_basis(300, seed=3)
    rng = np.random.default_rng(4)
    truth = rng.uniform(-0.3, 1.3, (6, 52))  # outside the box: the bounds must bind
    motion = _motion(basis, truth) + rng.normal(0, 1e-4, (6, 300, 3))
    result = solve_weights(
        motion,
        basis,
        options=SolverOptions(
            smoothing=0.0, regularization=0.0, tolerance=1e-9, max_iterations=20000
        ),
    )
    a = basis.deltas.reshape(52, -1).T.astype(np.float64)
    for t in range(6):
        y = (motion[t] - basis.neutral).reshape(-1)
        reference = lsq_linear(a, y, bounds=(0, 1), tol=1e-12, method="bvls").x

        def cost(w, y=y):
            return np.sum((a @ w - y) ** 2)

        assert cost(result.weights[t].astype(np.float64)) <= cost(reference) * (1 + 1e-3) + 1e-12
        assert np.abs(result.weights[t] - reference).max() < 0.02


def test_smoothing_reduces_frame_to_frame_jitter():
    basis = synthetic_basis()
    truth = smooth_weights(90)
    noisy = _motion(basis, truth) + np.random.default_rng(5).normal(0, 3e-4, (90, 600, 3))
    solve = lambda s: solve_weights(noisy, basis, options=SolverOptions(smoothing=s)).weights
    rough, mild, strong = solve(0.0), solve(0.01), solve(0.1)
    jitter = lambda w: np.abs(np.diff(w - truth, axis=0)).mean()
    error = lambda w: np.abs(w - truth).mean()
    assert jitter(mild) < jitter(rough) and error(mild) < error(rough)  # the default helps
    assert jitter(strong) < 0.6 * jitter(rough)


def test_names_are_matched_whatever_their_spelling():
    weights = np.arange(6, dtype=np.float32).reshape(2, 3) / 10
    out, missing = to_arkit(weights, ["jawOpen", "EyeBlink_L", "not_arkit"])
    assert out.shape == (2, 52)
    np.testing.assert_allclose(out[:, LIVE_LINK.index("jawOpen")], weights[:, 0])
    np.testing.assert_allclose(out[:, LIVE_LINK.index("eyeBlinkLeft")], weights[:, 1])
    assert len(missing) == 50 and "jawOpen" not in missing
    assert out[:, [i for i, n in enumerate(LIVE_LINK) if n in missing]].max() == 0


def test_live_link_csv_layout():
    weights = np.linspace(0, 1, 3 * 52).reshape(3, 52)
    text = live_link_csv(weights, fps=30)
    rows = list(csv.reader(text.splitlines()))
    assert ",".join(rows[0]) == LIVE_LINK_FACE_HEADER
    assert len(rows) == 4 and all(len(r) == 2 + 52 + 9 for r in rows)
    assert rows[1][:2] == ["00:00:00:00.000", "61"]
    assert rows[2][0] == "00:00:00:01.000"
    np.testing.assert_allclose([float(x) for x in rows[3][2:54]], weights[2], atol=1e-6)
    assert timecode(30 * 3661 + 29, 30) == "01:01:01:29.000"
    assert timecode(1, 60) == "00:00:00:01.000"


def test_write_arkit_csv_and_json(tmp_path):
    basis = synthetic_basis(200)
    truth = smooth_weights(10)
    result = solve_weights(_motion(basis, truth), basis)
    csv_path, missing = write_arkit(tmp_path / "a.csv", result, fps=25)
    assert missing == []
    json_path, _ = write_arkit(tmp_path / "a.json", result, fps=25)
    data = json.loads(json_path.read_text())
    assert data["names"] == list(LIVE_LINK) and data["fps"] == 25
    assert len(data["weights"]) == 10 and data["times"][1] == pytest.approx(0.04)
    np.testing.assert_allclose(data["weights"], result.weights, atol=1e-6)
    assert csv_path.read_text().startswith("Timecode,BlendShapeCount,EyeBlinkLeft")


def test_sequences_read_back(tmp_path):
    from selftalk.mesh import read_mesh

    vertices, faces = head(10, 12)
    motion = talking(vertices, 3)
    for fmt in ("obj", "ply"):
        paths = write_sequence(tmp_path / fmt, motion, faces, fmt=fmt)
        assert [p.name for p in paths] == [f"frame_{i:05d}.{fmt}" for i in range(3)]
        for path, frame in zip(paths, motion):
            mesh = read_mesh(path)
            np.testing.assert_allclose(mesh.vertices, frame, atol=1e-6)
            np.testing.assert_array_equal(mesh.faces, faces)


def _cli(argv):
    from selftalk.cli import export as verb

    parser = argparse.ArgumentParser()
    verb.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_export_command_writes_every_format(tmp_path):
    from selftalk.mesh import write_mesh

    vertices, faces = head(16, 20)
    write_mesh(tmp_path / "head.obj", vertices, faces)
    motion = talking(vertices, 20)
    np.save(tmp_path / "m.npy", motion)
    # a basis on this mesh: jaw-like and cheek-like shapes, names as ARKit spells them
    deltas = np.zeros((2, len(vertices), 3), np.float32)
    deltas[0] = talking(vertices, 8)[7] - vertices
    deltas[1, :, 0] = vertices[:, 0] * 0.05
    np.savez(tmp_path / "basis.npz", names=np.array(["jawOpen", "cheekPuff"]), deltas=deltas)
    common = [str(tmp_path / "m.npy"), "--template", str(tmp_path / "head.obj")]
    assert _cli(["export", *common, "-o", str(tmp_path / "m.glb")]) == 0
    assert (tmp_path / "m.glb").stat().st_size > 1000
    assert (
        _cli(
            [
                "export",
                *common,
                "-o",
                str(tmp_path / "m.csv"),
                "--basis",
                str(tmp_path / "basis.npz"),
            ]
        )
        == 0
    )
    rows = list(csv.reader((tmp_path / "m.csv").read_text().splitlines()))
    jaw = np.array([float(r[rows[0].index("JawOpen")]) for r in rows[1:]])
    assert len(jaw) == 20 and jaw.max() > 0.5 and jaw.min() < 0.1
    assert _cli(["export", *common, "-o", str(tmp_path / "frames"), "--format", "ply"]) == 0
    assert len(list((tmp_path / "frames").glob("*.ply"))) == 20


def test_export_command_errors(tmp_path):
    from selftalk.errors import ConfigError, InputError
    from selftalk.mesh import write_mesh

    vertices, faces = head(8, 8)
    write_mesh(tmp_path / "head.obj", vertices, faces)
    np.save(tmp_path / "m.npy", np.repeat(vertices[None], 2, axis=0))
    common = [str(tmp_path / "m.npy"), "--template", str(tmp_path / "head.obj")]
    with pytest.raises(ConfigError, match="format"):
        _cli(["export", *common, "-o", str(tmp_path / "out.xyz")])
    with pytest.raises(InputError, match="no such"):
        _cli(
            ["export", *common, "-o", str(tmp_path / "a.csv"), "--basis", str(tmp_path / "no.npz")]
        )


def test_bundled_head_basis_round_trip():
    pytest.importorskip("selftalk.synth.head", reason="the bundled head has not landed yet")
    from selftalk.export import bundled_basis

    basis = bundled_basis()
    assert len(basis.names) == 52 and sorted(map(str.lower, basis.names)) == sorted(
        n.lower() for n in LIVE_LINK
    )
    truth = smooth_weights(60, seed=7) * (np.random.default_rng(7).uniform(size=52) < 0.3)
    motion = basis.neutral[None] + np.einsum("tk,kvc->tvc", truth, basis.deltas)
    result = solve_weights(motion, basis)
    assert result.converged
    assert np.abs(result.weights - truth).mean() < 0.01
    assert result.max_error < 1e-3  # metres: under a millimetre everywhere
    weights52, missing = to_arkit(result.weights, result.names)
    assert missing == []
    jaw = LIVE_LINK.index("jawOpen")
    np.testing.assert_allclose(weights52[:, jaw], result.weights[:, basis.names.index("jawOpen")])


def test_export_arkit_in_one_call(tmp_path):
    from selftalk.export import export_arkit

    basis = synthetic_basis(200)
    truth = smooth_weights(12)
    result, missing = export_arkit(tmp_path / "c.json", _motion(basis, truth), fps=30, basis=basis)
    assert missing == [] and result.weights.shape == (12, 52)
    data = json.loads((tmp_path / "c.json").read_text())
    np.testing.assert_allclose(data["weights"], result.weights, atol=1e-6)
