"""`selftalk rig`: a remeshed, rescaled, rotated bundled-head identity gets back the head's
blendshapes within a stated tolerance, as a valid glTF that `--avatar` animates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from selftalk.arkit import ALPHABETICAL
from selftalk.avatar import drive_avatar, read_gltf
from selftalk.avatar.targets import morph_meshes
from selftalk.cli import main
from selftalk.errors import InputError
from selftalk.mesh import write_mesh

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))

# Stated tolerance (docs/avatars.md): the shapes move vertices by up to 38 mm; a rig of a
# decimated identity recovers them within 0.25 mm on average and 3 mm at the 99th percentile.
MEAN_MM, P99_MM = 0.25, 3.0


@pytest.fixture(scope="module")
def rigged(tmp_path_factory):
    from conftest import require_module

    require_module("trimesh")
    require_module("fast_simplification")
    from selftalk.rig.evaluate import make_case

    case = make_case(seed=3, subdivide=False, keep=0.4)  # ~1.8k vertices, x10, rotated
    folder = tmp_path_factory.mktemp("rig")
    mesh = folder / "head.ply"
    write_mesh(mesh, case.vertices, case.faces)
    marks = folder / "marks.json"
    marks.write_text(json.dumps({k: list(map(float, v)) for k, v in case.landmarks.items()}))
    out = folder / "rigged.glb"
    code = main(["rig", str(mesh), "-o", str(out), "--landmarks", str(marks), "--quality", "fast"])
    assert code == 0
    return case, out


def test_rig_recovers_the_blendshapes_of_a_remeshed_head(rigged):
    from selftalk.rig.evaluate import residuals_mm

    case, out = rigged
    gltf = read_gltf(out)
    (mesh,) = morph_meshes(gltf).values()
    assert mesh.target_names == list(ALPHABETICAL)
    primitive = gltf.doc["meshes"][0]["primitives"][0]
    base = gltf.accessor(primitive["attributes"]["POSITION"])
    np.testing.assert_allclose(base, case.vertices, rtol=1e-6, atol=1e-5)  # mesh kept as is
    deltas = np.stack([gltf.accessor(t["POSITION"]) for t in primitive["targets"]])
    err = residuals_mm(deltas, case)
    assert err.mean() < MEAN_MM and np.percentile(err, 99) < P99_MM, (
        err.mean(),
        np.percentile(err, 99),
    )
    jaw = ALPHABETICAL.index("jawOpen")
    assert np.linalg.norm(case.truth[jaw], axis=-1).max() > 0.02  # the shapes are large


def test_rigged_head_is_valid_and_animates(rigged, tmp_path):
    from test_export_gltf import WEB, _web_tool

    _, out = rigged
    result = drive_avatar(out, np.full((5, 52), 0.5, np.float32), tmp_path / "t.glb", fps=30)
    assert result.plan.driven == list(ALPHABETICAL) and not result.plan.missing
    _web_tool("gltf-validator")
    run = subprocess.run(
        ["node", "tools/validate.mjs", str(out), str(tmp_path / "t.glb")],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for report in json.loads(run.stdout):
        assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]


def test_bad_rig_inputs(tmp_path, capsys):
    from selftalk.rig import read_landmarks

    mesh = tmp_path / "m.ply"
    write_mesh(mesh, np.eye(3), np.zeros((0, 3), np.int64))
    assert main(["rig", str(mesh), "-o", str(tmp_path / "r.glb")]) == 2
    assert "no triangles" in capsys.readouterr().err
    assert main(["rig", str(mesh), "-o", str(tmp_path / "r.obj")]) == 2
    assert "as .glb" in capsys.readouterr().err
    marks = tmp_path / "l.json"
    for text, message in [
        ('{"noseTip": [0, 0, 0]}', "at least 4"),
        ('{"nose": [0, 0, 0]}', "unknown landmark"),
        ('{"noseTip": [0, 0]}', "give \\[x, y, z\\]"),
        ("{oops", "not valid"),
    ]:
        marks.write_text(text)
        with pytest.raises(InputError, match=message):
            read_landmarks(marks)
    assert not (tmp_path / "r.glb").exists()


@pytest.mark.slow
def test_rig_aligns_automatically_at_full_quality():
    from selftalk.rig import rig_mesh
    from selftalk.rig.evaluate import make_case, residuals_mm

    case = make_case(seed=5, keep=0.3, rotation_deg=(50.0, -60.0, 25.0))
    rig = rig_mesh(case.vertices, case.faces)  # no landmarks: found by alignment
    err = residuals_mm(rig.deltas, case)
    assert err.mean() < 0.3 and np.percentile(err, 99) < 4.0  # docs/avatars.md
