"""ONNX export and the ONNX Runtime engine: the graph computes what torch computes."""

import json

import numpy as np
import pytest
import soundfile
import torch
from conftest import require_module

from selftalk.cli import main
from selftalk.config import apply_overrides, tiny
from selftalk.errors import SelfTalkError
from selftalk.inference.loading import load_model
from selftalk.inference.predict import predict_motion
from selftalk.models.raw_audio_graph import RawAudioGraph
from selftalk.models.selftalk import SelfTalk

TOLERANCE = 1e-4  # of the motion scale (largest offset from the template)


def _model(**overrides):
    torch.manual_seed(0)
    config = apply_overrides(tiny().model, overrides)
    model = SelfTalk(config, torch.arange(config.n_lip_vertices)).eval()
    torch.nn.init.normal_(model.animator.vertex_head.weight, std=0.01)
    torch.nn.init.normal_(model.animator.vertex_head.bias, std=0.01)
    return model


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny")
    _model().save_pretrained(directory)
    np.savez(directory / "templates.npz", A=np.random.default_rng(0).normal(0, 0.1, (64, 3)))
    return directory


@pytest.fixture(scope="module")
def exported(tiny_dir, tmp_path_factory):
    require_module("onnxruntime")
    require_module("onnxscript")
    out = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    assert main(["export-onnx", "--model", str(tiny_dir), "-o", str(out)]) == 0
    return out


@pytest.mark.parametrize(
    "alignment, fps", [("interpolate_cnn", 30.0), ("interpolate", 30.0), ("stack", 25.0)]
)
def test_graph_module_equals_the_animator(alignment, fps):
    model = _model(animator={"alignment": alignment}, fps=fps)
    graph = RawAudioGraph(model.animator).eval()
    template = torch.randn(64, 3)
    # 65_680 samples make 205 audio frames: int(205 / 50 * 30) is 122 in float64, not 123
    for n in (16_000, 65_680, 41_234):
        audio = torch.randn(n)
        with torch.no_grad():
            torch.testing.assert_close(graph(audio[None], template), model.predict(audio, template))


def test_export_writes_a_checked_graph_and_its_sidecar(exported, capsys):
    onnx = require_module("onnx")
    onnx.checker.check_model(str(exported))
    graph = onnx.load(str(exported))
    assert [i.name for i in graph.graph.input] == ["audio", "template"]
    assert graph.opset_import[0].version == 18
    audio_dims = graph.graph.input[0].type.tensor_type.shape.dim
    assert audio_dims[1].dim_param  # the audio length is dynamic
    meta = json.loads(exported.with_suffix(".json").read_text())
    assert meta["format"] == "selftalk-onnx" and meta["opset"] == 18
    assert meta["fps"] == 30.0 and meta["topology"]["n_vertices"] == 64
    contract = meta["contract"]
    assert contract["kind"] == "raw_audio" and contract["sample_rate"] == 16000
    assert [i["name"] for i in contract["inputs"]] == ["audio", "template"]
    assert contract["inputs"][0]["shape"] == [1, "samples"]
    assert "normalised" in contract["inputs"][0]["description"]
    assert meta["parity"]["relative"] <= TOLERANCE


@pytest.mark.parametrize("seconds", [0.9, 4.117, 7.3])
def test_onnx_runtime_matches_torch_at_lengths_it_was_not_traced_with(exported, tiny_dir, seconds):
    from selftalk.inference.onnx import OnnxEngine

    engine = OnnxEngine(exported)
    model = SelfTalk.from_pretrained(tiny_dir, lite=True)
    audio, template = torch.randn(int(seconds * 16_000)), torch.randn(64, 3)
    expected = model.predict(audio, template).numpy()
    got = engine(audio, template)
    assert got.shape == expected.shape
    scale = np.abs(expected - template.numpy()).max()
    assert np.abs(got - expected).max() <= TOLERANCE * scale


@pytest.mark.slow
@pytest.mark.parametrize("alignment, fps", [("stack", 25.0), ("interpolate", 30.0)])
def test_other_alignments_export(tmp_path, alignment, fps):
    require_module("onnxruntime")
    from selftalk.inference.onnx import OnnxEngine, export_graph, parity

    model = _model(animator={"alignment": alignment}, fps=fps)
    contract = model.inference_contract()
    export_graph(contract, tmp_path / "stack.onnx")
    engine = OnnxEngine(
        tmp_path / "stack.onnx", meta={"contract": contract.to_json()} | {"format": "selftalk-onnx"}
    )
    result = parity(contract, engine, seconds=(1.0, 3.03))
    assert result.relative <= TOLERANCE


def _wav(path, seconds, seed=0):
    rng = np.random.default_rng(seed)
    soundfile.write(
        path, 0.1 * rng.standard_normal(int(seconds * 16_000)).astype(np.float32), 16_000
    )
    return path


def test_predict_with_the_onnx_engine_windows_long_audio_as_torch_does(
    exported, tiny_dir, tmp_path
):
    wav = _wav(tmp_path / "long.wav", 9.0)
    outs = {}
    for engine in ("torch", "onnx"):
        out = tmp_path / f"{engine}.npy"
        args = ["predict", str(wav), "--model", str(tiny_dir), "-o", str(out), "--window", "4"]
        if engine == "onnx":
            args += ["--engine", "onnx", "--onnx", str(exported)]
        assert main(args) == 0
        outs[engine] = np.load(out)
    template = load_model(model_dir=tiny_dir).template()
    scale = np.abs(outs["torch"] - template).max()
    assert outs["onnx"].shape == outs["torch"].shape == (270, 64, 3)
    assert np.abs(outs["onnx"] - outs["torch"]).max() <= TOLERANCE * scale


def test_engine_onnx_exports_into_the_cache_once(tiny_dir, tmp_path, monkeypatch):
    require_module("onnxruntime")
    from selftalk.inference import onnx as onnx_module

    monkeypatch.setenv("SELFTALK_CACHE", str(tmp_path / "cache"))
    loaded = load_model(model_dir=tiny_dir)
    engine = onnx_module.engine_for(loaded)
    files = list((tmp_path / "cache").rglob("*.onnx"))
    assert len(files) == 1
    calls = []
    monkeypatch.setattr(onnx_module, "export_model", lambda *a, **k: calls.append(a))
    onnx_module.engine_for(loaded)
    assert calls == []  # reused
    audio = np.random.default_rng(1).normal(0, 0.1, 20_000).astype(np.float32)
    template = loaded.template()
    torch_motion = predict_motion(loaded.model, audio, template)
    onnx_motion = predict_motion(loaded.model, audio, template, engine=engine)
    scale = np.abs(torch_motion - template).max()
    assert np.abs(onnx_motion - torch_motion).max() <= TOLERANCE * scale


def test_bad_options_are_one_line_errors(exported, tiny_dir, tmp_path, capsys):
    wav = _wav(tmp_path / "a.wav", 1.0)
    assert main(["export-onnx", "--model", str(tiny_dir), "-o", str(tmp_path / "x.pt")]) == 2
    assert "must end in .onnx" in capsys.readouterr().err
    clash = tiny_dir / "config.onnx"  # its sidecar would be the model's config.json
    assert main(["export-onnx", "--model", str(tiny_dir), "-o", str(clash)]) == 2
    assert "would overwrite" in capsys.readouterr().err and not clash.exists()
    assert (
        main(
            [
                "predict",
                str(wav),
                "--model",
                str(tiny_dir),
                "-o",
                str(tmp_path / "o.npy"),
                "--onnx",
                str(exported),
            ]
        )
        == 2
    )
    assert "--onnx needs --engine onnx" in capsys.readouterr().err
    bad = tmp_path / "missing.onnx"
    args = ["predict", str(wav), "--model", str(tiny_dir), "-o", str(tmp_path / "o.npy")]
    assert main(args + ["--engine", "onnx", "--onnx", str(bad)]) == 2
    assert "no such ONNX file" in capsys.readouterr().err
    short = _wav(tmp_path / "short.wav", 0.05)
    assert (
        main(
            [
                "predict",
                str(short),
                "--model",
                str(tiny_dir),
                "-o",
                str(tmp_path / "s.npy"),
                "--engine",
                "onnx",
                "--onnx",
                str(exported),
            ]
        )
        == 2
    )
    assert "too short" in capsys.readouterr().err
    assert not (tmp_path / "o.npy").exists()


def test_the_bundled_model_exports_and_animates_through_onnx(tmp_path, capsys):
    require_module("onnxruntime")
    out = tmp_path / "bundled.onnx"
    assert main(["export-onnx", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "parity with torch: max abs vertex difference" in printed
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["parity"]["relative"] <= TOLERANCE
    assert meta["topology"]["mesh"] == "bundled.ply" and (tmp_path / "bundled.ply").is_file()
    wav = _wav(tmp_path / "a.wav", 3.0)
    video = tmp_path / "a.glb"
    assert (
        main(["animate", str(wav), "-o", str(video), "--engine", "onnx", "--onnx", str(out)]) == 0
    )
    assert video.stat().st_size > 0


def test_missing_onnxruntime_is_a_clear_error(monkeypatch, tmp_path):
    import builtins

    from selftalk.inference import onnx as onnx_module

    real = builtins.__import__
    monkeypatch.setattr(
        builtins,
        "__import__",
        lambda name, *a, **k: (
            (_ for _ in ()).throw(ImportError()) if name == "onnxruntime" else real(name, *a, **k)
        ),
    )
    with pytest.raises(SelfTalkError, match="pip install"):
        onnx_module.OnnxEngine(tmp_path / "x.onnx")


def _predict(tiny_dir, wav, out, *extra):
    assert main(["predict", str(wav), "--model", str(tiny_dir), "-o", str(out), *extra]) == 0
    return np.load(out)


def test_lower_precision_engines_run_and_stay_near_float32(
    exported, tiny_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("SELFTALK_CACHE", str(tmp_path / "cache"))
    wav = _wav(tmp_path / "a.wav", 3.0)
    reference = _predict(tiny_dir, wav, tmp_path / "ref.npy")
    scale = np.abs(reference - load_model(model_dir=tiny_dir).template()).max()
    for engine in ("torch-int8", "torch-bf16", "onnx-int8"):
        extra = ["--onnx", str(exported)] if engine.startswith("onnx") else []
        got = _predict(tiny_dir, wav, tmp_path / "got.npy", "--engine", engine, *extra)
        error = np.abs(got - reference).max() / scale
        assert got.shape == reference.shape
        assert 0 < error < 0.1, engine  # another arithmetic than the float32 graph, still close
    assert not list(exported.parent.glob("*int8*"))  # the int8 graph is kept in the cache
    assert list((tmp_path / "cache").rglob("model.onnx"))


@pytest.mark.slow
def test_torch_compile_engine_matches_torch(tiny_dir, tmp_path):
    wav = _wav(tmp_path / "a.wav", 3.0)
    reference = _predict(tiny_dir, wav, tmp_path / "ref.npy")
    got = _predict(tiny_dir, wav, tmp_path / "got.npy", "--engine", "torch-compile")
    template = load_model(model_dir=tiny_dir).template()
    assert np.abs(got - reference).max() <= TOLERANCE * np.abs(reference - template).max()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vocaset", "biwi", "vocaset-official", "biwi-official"])
def test_paper_size_presets_export_with_parity(name, tmp_path):
    """Full size, random weights, vertex head N(0, 0.01): motion scale about 1 (minutes each)."""
    require_module("onnxruntime")
    from selftalk.config import preset, xlsr53_large
    from selftalk.inference.onnx import SIDECAR_FORMAT, OnnxEngine, export_graph, parity

    config = preset(name).model
    config.animator.encoder = xlsr53_large(pretrained=None)
    torch.manual_seed(0)
    model = SelfTalk(config, torch.arange(config.n_lip_vertices)).eval()
    torch.nn.init.normal_(model.animator.vertex_head.weight, std=0.01)
    torch.nn.init.normal_(model.animator.vertex_head.bias, std=0.01)
    contract = model.inference_contract(seconds=1.0)
    export_graph(contract, tmp_path / "model.onnx")
    meta = {"format": SIDECAR_FORMAT, "contract": contract.to_json()}
    result = parity(contract, OnnxEngine(tmp_path / "model.onnx", meta=meta), seconds=(1.3, 2.0))
    assert result.motion_scale > 0.1 and result.relative <= TOLERANCE
