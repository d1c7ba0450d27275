"""`selftalk render` reads an animated glTF/VRM back into vertex motion and draws it."""

from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from avatars import SHAPES, make_avatar, shape_delta
from synthetic_head import head

from selftalk.arkit import ALPHABETICAL_INDEX
from selftalk.avatar import drive_avatar
from selftalk.avatar.playback import avatar_motion
from selftalk.cli import main


def test_motion_read_back_is_the_morphed_face(tmp_path):
    avatar = tmp_path / "a.glb"
    make_avatar(avatar)
    arkit = np.random.default_rng(0).uniform(size=(12, 52)).astype(np.float32)
    drive_avatar(avatar, arkit, tmp_path / "t.glb", fps=24, audio=np.zeros(8000, np.float32))
    played = avatar_motion(tmp_path / "t.glb")
    assert played.fps == 24 and played.motion.shape[0] == 12
    assert played.audio == tmp_path / "t.wav" and played.front == "+z"
    vertices, faces = head(10, 14)
    face = played.motion[:, : len(vertices)] - np.array([0, 1.5, 0])  # the node's translation
    expected = vertices + 0.25 * shape_delta("Custom_Frown", vertices)  # rest weight 0.25
    expected = expected + sum(
        arkit[:, ALPHABETICAL_INDEX[s], None, None] * shape_delta(s, vertices) for s in SHAPES
    )
    np.testing.assert_allclose(face, expected, atol=1e-5)
    np.testing.assert_array_equal(played.faces[: len(faces)], faces)


def test_render_cli_draws_an_animated_vrm(tmp_path, capsys):
    avatar = tmp_path / "a.vrm"
    make_avatar(avatar, vrm="0", shapes=[])
    t = np.arange(30)[:, None] / 30
    arkit = np.clip(np.sin(2 * np.pi * t + np.arange(52)), 0, 1).astype(np.float32)
    drive_avatar(avatar, arkit, tmp_path / "t.vrm", fps=30, audio=np.zeros(16000, np.float32))
    out = tmp_path / "t.mp4"
    assert main(["render", str(tmp_path / "t.vrm"), "-o", str(out), "--size", "96x96"]) == 0
    assert "with audio" in capsys.readouterr().out
    with av.open(str(out)) as video:
        assert video.streams.video[0].frames == 30
    assert main(["render", str(avatar), "-o", str(tmp_path / "x.mp4")]) == 2  # no animation
    assert "no morph-target animation" in capsys.readouterr().err
