"""The ``features`` contract: a model that hears phonemes exports its animator (the recognizer
outside the graph), and ``--engine onnx`` animates what torch animates."""

import json

import numpy as np
import pytest
import soundfile
import torch
from conftest import random_phoneme_model, require_module

from selftalk.audio import speech_like
from selftalk.cli import main
from selftalk.config import tiny, tiny_phonemes
from selftalk.errors import InputError
from selftalk.inference.loading import load_model
from selftalk.inference.onnx import OnnxEngine, engine_for
from selftalk.inference.phonetic_stream import predict_phonetic
from selftalk.inference.phonetic_windows import animate_features, heard_features
from selftalk.models.features_graph import FeaturesGraph
from selftalk.models.selftalk import SelfTalk

TOLERANCE = 1e-4  # of the motion scale (largest offset from the template)


@pytest.fixture(scope="module")
def phonemes_dir(tmp_path_factory):
    require_module("hama")
    directory = tmp_path_factory.mktemp("tiny-phonemes")
    random_phoneme_model().save_pretrained(directory)
    np.savez(directory / "templates.npz", A=np.random.default_rng(0).normal(0, 0.1, (64, 3)))
    return directory


@pytest.fixture(scope="module")
def exported(phonemes_dir, tmp_path_factory):
    require_module("onnxruntime")
    require_module("onnxscript")
    out = tmp_path_factory.mktemp("onnx") / "phonemes.onnx"
    assert main(["export-onnx", "--model", str(phonemes_dir), "-o", str(out)]) == 0
    return out


def _scale(motion, template) -> float:
    return float(np.abs(motion - template).max())


def test_features_graph_equals_the_animator():
    model = random_phoneme_model()
    graph = FeaturesGraph(model.animator).eval()
    template = torch.randn(64, 3)
    # 205 frames: int(205 / 50 * 30) is 122 in float64, not 123
    for frames in (4, 57, 205):
        x = torch.randn(frames, model.config.animator.ears.n_features(True))
        with torch.no_grad():
            torch.testing.assert_close(graph(x[None], template), model.predict(x, template))


def test_export_writes_a_checked_graph_and_the_recipe_of_its_features(exported, capsys):
    onnx = require_module("onnx")
    onnx.checker.check_model(str(exported))
    meta = json.loads(exported.with_suffix(".json").read_text())
    contract = meta["contract"]
    assert contract["kind"] == "features"
    assert [i["name"] for i in contract["inputs"]] == ["features", "template"]
    assert contract["inputs"][0]["shape"] == [1, "feature_frames", 202]
    ears, config = contract["ears"], tiny_phonemes().model.animator.ears
    assert ears["recognizer"]["engine"] == "hama"
    assert len(ears["recognizer"]["weights_sha256"]) == 64
    assert ears["windows"]["core"] == config.core
    assert ears["windows"]["left_context"] == config.left_context
    assert ears["features"]["width"] == 202 and ears["features"]["frame_rate"] == 50
    assert [part["columns"] for part in ears["features"]["layout"]] == [[0, 191], [191, 202]]
    assert meta["parity"]["relative"] <= TOLERANCE


@pytest.mark.parametrize("seconds", [0.9, 3.33])
def test_onnx_runtime_matches_torch_at_lengths_it_was_not_traced_with(
    exported, phonemes_dir, seconds
):
    model = load_model(model_dir=phonemes_dir).model
    features = model.hear(speech_like(seconds, seed=5))
    template = np.random.default_rng(2).normal(0, 0.1, (64, 3)).astype(np.float32)
    with torch.no_grad():
        expected = FeaturesGraph(model.animator)(features[None], torch.from_numpy(template))
    got = OnnxEngine(exported)(features, template)
    assert got.shape == expected.shape
    assert np.abs(got - expected.numpy()).max() <= TOLERANCE * _scale(expected.numpy(), template)


def test_windows_of_features_give_what_the_torch_stream_gives(exported, phonemes_dir):
    model = load_model(model_dir=phonemes_dir).model
    audio = speech_like(7.7, seed=3)
    template = np.random.default_rng(0).normal(0, 0.1, (64, 3)).astype(np.float32)
    reference = predict_phonetic(model, audio, template)
    features = heard_features(model, audio)
    engine = OnnxEngine(exported)
    for chunk in (600, 50, 37):  # one window, and windows overlapping by the receptive field
        got = animate_features(model, engine, features, template, chunk=chunk)
        assert got.shape == reference.shape
        assert np.abs(got - reference).max() <= TOLERANCE * _scale(reference, template)


def test_predict_with_the_onnx_engine_equals_torch(exported, phonemes_dir, tmp_path):
    wav = tmp_path / "speech.wav"
    soundfile.write(wav, speech_like(4.2, seed=7), 16_000)
    outs = {}
    for engine in ("torch", "onnx", "torch-int8"):
        out = tmp_path / f"{engine}.npy"
        args = ["predict", str(wav), "--model", str(phonemes_dir), "-o", str(out)]
        if engine != "torch":
            args += ["--engine", engine]
        if engine == "onnx":
            args += ["--onnx", str(exported)]
        assert main(args) == 0
        outs[engine] = np.load(out)
    scale = _scale(outs["torch"], load_model(model_dir=phonemes_dir).template())
    assert outs["onnx"].shape == outs["torch"].shape == (126, 64, 3)
    assert np.abs(outs["onnx"] - outs["torch"]).max() <= TOLERANCE * scale
    assert 0 < np.abs(outs["torch-int8"] - outs["torch"]).max() < 0.1 * scale


def test_wrong_inputs_are_one_line_errors(exported, phonemes_dir, tmp_path, capsys):
    engine = OnnxEngine(exported)
    with pytest.raises(InputError, match=r"takes \(T, 202\)"):
        engine(np.zeros((30, 191), np.float32), np.zeros((64, 3), np.float32))
    short = tmp_path / "short.wav"
    soundfile.write(short, speech_like(0.02), 16_000)
    args = ["predict", str(short), "--model", str(phonemes_dir), "-o", str(tmp_path / "s.npy")]
    assert main(args + ["--engine", "onnx", "--onnx", str(exported)]) == 2
    err = capsys.readouterr().err
    assert "too short" in err and len(err.strip().splitlines()) == 1
    raw_dir = tmp_path / "raw"
    SelfTalk(tiny().model, torch.arange(8)).save_pretrained(raw_dir)
    with pytest.raises(InputError, match="a features graph; this model's graph takes raw_audio"):
        engine_for(load_model(model_dir=raw_dir), exported)
