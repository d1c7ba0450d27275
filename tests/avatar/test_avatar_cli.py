"""`selftalk animate --avatar`: the model's ARKit curves drive the avatar; errors are one line."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from avatars import accessor, make_avatar, read_glb

from selftalk.arkit import ALPHABETICAL_INDEX
from selftalk.audio import load_audio
from selftalk.avatar import arkit_curves
from selftalk.cli import main
from selftalk.config import tiny
from selftalk.inference.loading import load_model
from selftalk.models.selftalk import SelfTalk
from selftalk.synth.head import load_head


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A tiny random model on the bundled head (its vertex head scaled up so faces move)."""
    head = load_head()
    config = dataclasses.replace(
        tiny().model, n_vertices=len(head.template), n_lip_vertices=len(head.regions["lips"])
    )
    torch.manual_seed(0)
    model = SelfTalk(config, head.regions["lips"])
    torch.nn.init.normal_(model.animator.vertex_head.weight, std=1e-3)
    directory = tmp_path_factory.mktemp("model")
    model.save_pretrained(directory)
    return directory


@pytest.fixture
def wav(tmp_path):
    t = np.arange(24_000) / 16_000
    path = tmp_path / "speech.wav"
    soundfile.write(path, (0.3 * np.sin(2 * np.pi * 150 * t) * np.sin(6 * t)), 16_000)
    return path


def test_cli_drives_the_avatar_with_the_models_curves(model_dir, wav, tmp_path, capsys):
    avatar = tmp_path / "me.vrm"
    make_avatar(avatar, vrm="1", naming="pascal")
    out = tmp_path / "talking.vrm"
    code = main(
        ["animate", str(wav), "--model", str(model_dir), "--avatar", str(avatar), "-o", str(out)]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "jawOpen -> Face/JawOpen\n" in printed and "no target for 46" in printed
    expected, fps = arkit_curves(load_model(model_dir=model_dir), load_audio(wav))
    doc, binary = read_glb(out)
    sampler = doc["animations"][-1]["samplers"][0]
    face = accessor(doc, binary, sampler["output"]).reshape(len(expected), -1)
    np.testing.assert_allclose(face[:, 0], expected[:, ALPHABETICAL_INDEX["jawOpen"]], atol=1e-6)
    assert out.with_suffix(".wav").is_file() and fps == 30


def test_cli_errors_are_one_line(model_dir, wav, tmp_path, capsys):
    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"glTF\x02\x00\x00\x00\xff\xff\xff\x7f" + b"\0" * 16)
    for args, message in [
        (["--avatar", str(broken), "-o", str(tmp_path / "o.glb")], "declares"),
        (["--avatar", str(broken), "-o", str(tmp_path / "o.mp4")], "written as"),
        (["--map", str(tmp_path / "m.json")], "--map needs --avatar"),
    ]:
        assert main(["animate", str(wav), "--model", str(model_dir), *args]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert not list(tmp_path.glob("o.*"))
