"""PCA basis and .glb export: reconstruction error, a glb decoded independently, the Khronos
validator, and the web player animating it in headless Chromium."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from synthetic_head import head, talking

from selftalk.export import fit_basis, write_glb

WEB = Path(__file__).resolve().parents[2] / "web"


def test_basis_picks_the_rank_of_a_low_rank_motion():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 3))
    shapes = rng.normal(size=(5, 200, 3))
    coefficients = rng.normal(size=(90, 5))
    motion = base + np.einsum("tk,kvc->tvc", coefficients, shapes)
    basis = fit_basis(motion, base=base, tolerance=1e-6)
    assert basis.n_components == 5
    rebuilt = basis.reconstruct()
    error = np.linalg.norm(rebuilt - motion, axis=-1)
    assert error.max() <= 1e-4  # float32 storage
    assert np.abs(basis.weights).max() == pytest.approx(1.0, abs=1e-6)  # weights in [-1, 1]


def test_basis_reports_its_error_honestly_at_the_cap():
    rng = np.random.default_rng(1)
    motion = rng.normal(size=(40, 50, 3))
    basis = fit_basis(motion, tolerance=0.0, max_components=3)
    assert basis.n_components == 3
    error = np.linalg.norm(basis.reconstruct() - motion, axis=-1)
    assert basis.max_error == pytest.approx(error.max(), rel=1e-4)
    assert basis.rms_error == pytest.approx(np.sqrt(np.mean(error**2)), rel=1e-4)
    assert basis.max_error > basis.tolerance


def test_basis_of_a_long_motion_uses_the_randomized_svd():
    rng = np.random.default_rng(2)
    shapes = rng.normal(size=(4, 30, 3))
    motion = np.einsum("tk,kvc->tvc", rng.normal(size=(2500, 4)), shapes)
    basis = fit_basis(motion, base=np.zeros((30, 3)), tolerance=1e-5)
    assert basis.n_components == 4
    assert basis.max_error <= 1e-5


def _accessor(gltf, blob: bytes, index: int) -> np.ndarray:
    """Decode an accessor with the glTF spec's rules (written here, not the exporter's code)."""
    accessor = gltf.accessors[index]
    view = gltf.bufferViews[accessor.bufferView]
    dtype = {5126: np.float32, 5123: np.uint16, 5125: np.uint32}[accessor.componentType]
    width = {"SCALAR": 1, "VEC3": 3}[accessor.type]
    start = (view.byteOffset or 0) + (accessor.byteOffset or 0)
    data = np.frombuffer(blob, dtype=dtype, count=accessor.count * width, offset=start)
    return data.reshape(accessor.count, width) if width > 1 else data


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    vertices, faces = head(32, 40)
    motion = talking(vertices, 60)
    out = tmp_path_factory.mktemp("glb") / "talk.glb"
    audio = (0.2 * np.sin(np.arange(32_000) * 0.05)).astype(np.float32)
    info = write_glb(out, motion, faces, fps=30, template=vertices, audio=audio)
    return info, motion, vertices, faces


def test_glb_decodes_back_to_the_motion(exported):
    pygltflib = pytest.importorskip("pygltflib")
    info, motion, vertices, faces = exported
    gltf = pygltflib.GLTF2().load_binary(str(info.path))
    blob = gltf.binary_blob()
    primitive = gltf.meshes[0].primitives[0]
    base = _accessor(gltf, blob, primitive.attributes.POSITION)
    np.testing.assert_allclose(base, vertices, atol=1e-7)
    normals = _accessor(gltf, blob, primitive.attributes.NORMAL)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(_accessor(gltf, blob, primitive.indices).reshape(-1, 3), faces)
    targets = np.stack([_accessor(gltf, blob, t["POSITION"]) for t in primitive.targets])
    assert len(targets) == info.n_targets >= 1
    assert gltf.meshes[0].extras["targetNames"][0] == "pca_00"
    sampler = gltf.animations[0].samplers[0]
    channel = gltf.animations[0].channels[0]
    assert sampler.interpolation == "LINEAR" and channel.target.path == "weights"
    times = _accessor(gltf, blob, sampler.input)
    np.testing.assert_allclose(times, np.arange(60) / 30, atol=1e-6)
    weights = _accessor(gltf, blob, sampler.output).reshape(60, len(targets))
    rebuilt = base + np.einsum("tk,kvc->tvc", weights, targets)
    error = np.linalg.norm(rebuilt - motion, axis=-1)
    assert error.max() <= info.tolerance * 1.001
    assert error.max() == pytest.approx(info.max_error, rel=1e-3, abs=1e-7)
    assert gltf.asset.extras["audio"] == "talk.wav"


def test_audio_is_written_beside_the_glb(exported):
    import soundfile

    info, *_ = exported
    assert info.audio_path == info.path.with_suffix(".wav")
    samples, rate = soundfile.read(info.audio_path)
    assert rate == 16_000 and len(samples) == 32_000


def _web_tool(name: str) -> Path:
    from conftest import ON_CI, require_executable

    require_executable("node")
    tool = WEB / "node_modules" / name
    if not tool.exists() or not (WEB / "dist" / "index.html").exists():
        message = "web/ is not built: run `make deps` (npm ci && npm run build in web/)"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    return tool


def test_glb_passes_the_khronos_validator(exported, tmp_path):
    _web_tool("gltf-validator")
    info, _, vertices, faces = exported
    still = tmp_path / "still.glb"  # a motion with no movement: no targets, no animation
    write_glb(still, np.repeat(vertices[None], 3, axis=0), faces, template=vertices)
    result = subprocess.run(
        ["node", "tools/validate.mjs", str(info.path), str(still)],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    reports = json.loads(result.stdout)
    for report in reports:
        assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]
        assert report["issues"]["numWarnings"] == 0, report["issues"]["messages"]
    assert reports[0]["info"]["hasMorphTargets"] and reports[0]["info"]["animationCount"] == 1
    assert reports[1]["info"]["animationCount"] == 0
    assert result.returncode == 0


def test_web_player_animates_in_headless_chromium(tmp_path):

    vertices, faces = head(32, 40)
    glb = tmp_path / "data" / "talk.glb"
    motion = talking(vertices, 150)  # 5 s: still playing at the second screenshot
    write_glb(glb, motion, faces, fps=30, template=vertices, audio=np.zeros(80_000, np.float32))
    play_in_chromium(glb, tmp_path / "shots", duration=149 / 30)


def play_in_chromium(glb: Path, shots: Path, *, duration: float) -> None:
    """The web player (tools/smoke.mjs) plays ``glb`` in headless Chromium: no errors, the
    clip's duration, a running clock, a framed head, and motion between two screenshots.

    The screenshots show the clip paused at 1.0 s and 1.25 s, half a period apart for the 2 Hz
    test motions. (Taken while playing, their moments depended on how long a screenshot took:
    a whole number of periods apart, the two pictures were the same.)"""
    from conftest import require_executable
    from PIL import Image

    _web_tool("playwright-core")
    shots.mkdir(parents=True)
    result = subprocess.run(
        ["node", "tools/smoke.mjs", "--glb", str(glb), "--out", str(shots), "--gap", "700",
         "--at", "1,1.25", "--chromium", require_executable("chromium")],
        cwd=WEB, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["errors"] == []
    assert report["duration"] == pytest.approx(duration, abs=1e-3)
    # the clock runs (700 ms apart; audio-driven, slower when starved)
    assert report["t2"] > report["t1"] + 0.3
    first = np.asarray(Image.open(shots / "first.png").convert("RGB")).astype(int)
    second = np.asarray(Image.open(shots / "second.png").convert("RGB")).astype(int)
    face = np.abs(first - first[0, 0]).max(axis=2) > 20
    assert 0.1 < face.mean() < 0.9  # the head is drawn, framed inside the canvas
    changed = np.abs(first - second).max(axis=2) > 12
    assert changed.sum() > 200  # the animation moved between the two screenshots


def test_audio_already_beside_the_glb_is_kept(tmp_path):
    import soundfile

    vertices, faces = head(8, 8)
    wav = tmp_path / "talk.wav"
    soundfile.write(wav, np.zeros(4410, np.float32), 44_100)
    before = wav.read_bytes()
    info = write_glb(tmp_path / "talk.glb", talking(vertices, 4), faces, audio=wav)
    assert info.audio_path == wav and wav.read_bytes() == before
