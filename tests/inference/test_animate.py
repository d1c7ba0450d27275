import dataclasses

import av
import numpy as np
import pytest
import soundfile
import torch

from selftalk.cli import main
from selftalk.config import tiny
from selftalk.inference.loading import load_model
from selftalk.inference.predict import grid_period, predict_motion
from selftalk.mesh import write_mesh
from selftalk.models.selftalk import SelfTalk
from selftalk.synth.head import load_head


def speech(seconds=2.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(16000 * seconds)) / 16000
    return (
        0.3 * np.sin(2 * np.pi * 150 * t) * (1 + np.sin(2 * np.pi * 3 * t))
        + 0.02 * rng.standard_normal(len(t))
    ).astype(np.float32)


@pytest.fixture(scope="module")
def head_model(tmp_path_factory):
    """A tiny random model on the bundled head, saved with its mesh and two templates."""
    head = load_head()
    config = dataclasses.replace(
        tiny().model, n_vertices=len(head.template), n_lip_vertices=len(head.regions["lips"])
    )
    torch.manual_seed(0)
    model = SelfTalk(config, head.regions["lips"])
    torch.nn.init.normal_(model.animator.vertex_head.weight, std=1e-3)
    directory = tmp_path_factory.mktemp("model")
    model.save_pretrained(directory)
    write_mesh(directory / "mesh.ply", head.template, head.faces)
    np.savez(directory / "templates.npz", A=head.template, B=head.template + 0.001)
    return directory


@pytest.fixture
def wav(tmp_path):
    path = tmp_path / "speech.wav"
    soundfile.write(path, speech(), 16000)
    return path


def test_animate_writes_every_format(head_model, wav, tmp_path, capsys):
    for suffix in (".npy", ".mp4", ".glb", ".csv", ".json"):
        out = tmp_path / f"out{suffix}"
        assert (
            main(["animate", str(wav), "--model", str(head_model), "-o", str(out), "--size", "128"])
            == 0
        ), capsys.readouterr().err
        assert out.is_file() and out.stat().st_size > 0
    motion = np.load(tmp_path / "out.npy")
    assert motion.shape == (60, 4538, 3)  # the tiny CNN makes 100 frames of 2 s; 100 / 50 * 30
    with av.open(str(tmp_path / "out.mp4")) as video:
        assert video.streams.video[0].frames == 60 and len(video.streams.audio) == 1
    header = (tmp_path / "out.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["Timecode", "BlendShapeCount"] and len(header) >= 54


def test_default_output_is_an_mp4_beside_the_audio(head_model, wav):
    assert main(["animate", str(wav), "--model", str(head_model), "--size", "64"]) == 0
    assert wav.with_suffix(".mp4").is_file()


def test_subject_and_template_choose_the_face(head_model, wav, tmp_path):
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    main(["animate", str(wav), "--model", str(head_model), "--subject", "A", "-o", str(a)])
    main(["animate", str(wav), "--model", str(head_model), "--subject", "B", "-o", str(b)])
    np.testing.assert_allclose(np.load(b) - np.load(a), 0.001, atol=1e-6)


def test_bad_input_is_one_line_and_writes_nothing(head_model, tmp_path, capsys):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio")
    out = tmp_path / "o.mp4"
    assert main(["animate", str(junk), "--model", str(head_model), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "junk.wav" in err
    assert not out.exists()
    assert (
        main(["animate", str(junk), "--model", str(head_model), "-o", str(tmp_path / "x.avi")]) == 2
    )
    assert "unknown output type" in capsys.readouterr().err
    assert (
        main(
            [
                "animate",
                str(junk),
                "--model",
                str(head_model),
                "--subject",
                "Z",
                "-o",
                str(tmp_path / "x.npy"),
            ]
        )
        == 2
    )


def test_long_audio_is_animated_in_windows_without_seams(head_model):
    loaded = load_model(model_dir=head_model)
    audio = speech(12.0, seed=3)
    template = loaded.template()
    whole = predict_motion(loaded.model, audio, template, window=60.0)
    windows = predict_motion(loaded.model, audio, template, window=4.0, overlap=1.0)
    assert windows.shape == whole.shape
    motion = np.linalg.norm(np.diff(whole, axis=0), axis=-1).max()  # largest step of any vertex
    steps = np.linalg.norm(np.diff(windows, axis=0), axis=-1).max(axis=1)
    assert steps.max() <= 1.5 * motion  # no jump at window borders
    assert np.abs(windows - whole).max() < 0.5 * np.abs(whole - template).max()


def test_grid_period():
    assert grid_period(30, 320) == 1600 and grid_period(25, 320) == 640
    assert (
        grid_period(60, 320) == 1600
        and grid_period(25, 160) == 640
        and grid_period(30, 640) == 3200
    )
    from selftalk.config import SpeechEncoderConfig, tiny_encoder

    assert SpeechEncoderConfig().hop == 320 and SpeechEncoderConfig().frame_rate == 50.0
    tiny = tiny_encoder()
    assert tiny.hop * tiny.frame_rate == 16_000
