"""Animated avatars pass the Khronos glTF validator (no errors, no warning the input lacked) and
three.js plays them in headless Chromium."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))
from avatars import make_avatar
from test_export_gltf import WEB, _web_tool, play_in_chromium

from selftalk.avatar import drive_avatar


def _talking(frames: int) -> np.ndarray:
    t = np.arange(frames)[:, None] / 30
    return (0.5 + 0.5 * np.sin(2 * np.pi * 2 * t + np.arange(52))).astype(np.float32)


def _validate(*files: Path) -> list[dict]:
    result = subprocess.run(
        ["node", "tools/validate.mjs", *map(str, files)],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return json.loads(result.stdout)


def test_animated_avatars_pass_the_khronos_validator(tmp_path):
    _web_tool("gltf-validator")
    cases = {
        "plain.glb": {},
        "skinned_textured.glb": {"skin": True, "texture": True, "naming": "maya"},
        "vrm0.vrm": {"vrm": "0", "shapes": []},
        "vrm1.vrm": {"vrm": "1", "texture": True},
    }
    pairs = []
    for name, options in cases.items():
        avatar = tmp_path / name
        make_avatar(avatar, **options)
        out = tmp_path / f"talking_{name}"
        drive_avatar(avatar, _talking(20), out, fps=30)
        pairs.append((avatar, out))
    reports = _validate(*[p for pair in pairs for p in pair])
    for before, after in zip(reports[::2], reports[1::2]):
        assert after["issues"]["numErrors"] == 0, after["issues"]["messages"]
        assert after["info"]["animationCount"] == 1
        codes = lambda r: sorted(m["code"] for m in r["issues"]["messages"] if m["severity"] <= 1)
        assert codes(after) == codes(before), after["file"]  # no new warning either


def test_three_js_plays_an_animated_vrm_in_headless_chromium(tmp_path):
    avatar = tmp_path / "avatar.vrm"
    make_avatar(avatar, vrm="0", shapes=[], resolution=(24, 32), skin=True, texture=True)
    out = tmp_path / "data" / "talking.vrm"
    drive_avatar(avatar, _talking(150), out, fps=30, audio=np.zeros(80_000, np.float32))
    play_in_chromium(out, tmp_path / "shots", duration=149 / 30)  # the face is framed, moves
