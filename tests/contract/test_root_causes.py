"""One test (or a few) per root cause of issue 13: each failed on the code before the fix.

Verbs run in this process through ``selftalk.cli.main``; every error must be one line
``selftalk VERB: error: ...`` naming the file or option, with exit status 2.
"""

from __future__ import annotations

import json
import time

import hostile
import numpy as np
import pytest

from selftalk import cli

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def run(capsys, *argv) -> tuple[int, str]:
    code = cli.main([str(a) for a in argv])
    return code, capsys.readouterr().err


def error_line(err: str, verb: str, *names: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"selftalk {verb}: error: "), err
    for name in names:
        assert name in lines[0], (name, err)
    return lines[0]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return hostile.model_dir(tmp_path_factory.mktemp("model") / "tiny")


# ------------------------------------------------------------ 1. short, truncated, lying audio


def test_1_audio_shorter_than_one_frame_is_one_line(tmp_path, capsys, model):
    audio = hostile.short_wav(tmp_path / "tick.wav", 3)
    code, err = run(capsys, "predict", audio, "--model", model, "-o", tmp_path / "m.npy")
    assert code == 2
    assert "too short" in error_line(err, "predict", "tick.wav")
    assert not (tmp_path / "m.npy").exists()


@pytest.mark.parametrize(
    "make",
    [
        lambda p: hostile.truncated_wav(p, keep=64),  # the header and 10 samples
        lambda p: hostile.lying_wav(p, samples=20),  # claims 2 GiB, holds 20 samples
    ],
)
def test_1_truncated_and_lying_headers_are_one_line(tmp_path, capsys, model, make):
    audio = make(tmp_path / "cut.wav")
    code, err = run(capsys, "predict", audio, "--model", model, "-o", tmp_path / "m.npy")
    assert code == 2 and "too short" in error_line(err, "predict", "cut.wav")
    code, err = run(
        capsys, "predict", hostile.truncated_wav(tmp_path / "t.wav"), "--model", model,
        "-o", tmp_path / "m.npy",
    )  # fmt: skip
    assert code == 2 and "not a readable audio file" in error_line(err, "predict", "t.wav")
    from selftalk.audio import load_audio

    # a header claiming 2 GiB of samples: what the file holds is read, nothing more
    assert len(load_audio(hostile.lying_wav(tmp_path / "lie.wav"))) == 1600


def test_1_long_audio_is_refused_as_soon_as_it_passes_the_limit(tmp_path):
    from selftalk.audio import load_audio
    from selftalk.errors import InputError

    path = hostile.wav(tmp_path / "long.wav", 3.0, rate=44_100, channels=2)
    whole = load_audio(path)  # decoded block by block, equal to one resampling of it all
    assert whole.shape == (48_000,)
    with pytest.raises(InputError, match="lasts more than 2 s: too long here"):
        load_audio(path, max_seconds=2, why=": too long here")


# ------------------------------------------------------------ 2. options validated


@pytest.mark.parametrize(
    "argv, option",
    [
        (["predict", "a.wav", "-o", "m.npy", "--window", "nan"], "--window"),
        (["predict", "a.wav", "-o", "m.npy", "--window", "0"], "--window"),
        (["animate", "a.wav", "--window", "-1"], "--window"),
        (["render", "m.npy", "-o", "v.mp4", "--fps", "0"], "--fps"),
        (["render", "m.npy", "-o", "v.mp4", "--fps", "nan"], "--fps"),
        (["render", "m.npy", "-o", "v.mp4", "--fps", "1e-300"], "--fps"),
        (["export", "m.npy", "-o", "m.glb", "--fps", "-30"], "--fps"),
        (["export", "m.npy", "-o", "m.csv", "--smoothing", "nan"], "--smoothing"),
        (["lipsync", "a.wav", "--text", "hi", "-o", "m.npy", "--fps", "inf"], "--fps"),
        (["synth", "out", "--fps", "0"], "--fps"),
        (["metrics", "--pred", "p", "--data", "d", "--rho", "nan"], "--rho"),
        (["data", "check", "d", "--tolerance", "-1"], "--tolerance"),
    ],
)
def test_2_numeric_options_are_checked_before_any_work(capsys, argv, option):
    code, err = run(capsys, *argv)
    assert code == 2
    verb = " ".join(argv[:2]) if argv[0] == "data" else argv[0]
    error_line(err, verb, option)


def test_2_the_library_checks_the_same_ranges(model):
    import torch

    from selftalk.errors import ConfigError
    from selftalk.export.arkit import SolverOptions
    from selftalk.export.gltf import write_glb
    from selftalk.inference.predict import predict_motion
    from selftalk.models.selftalk import SelfTalk
    from selftalk.synth.animator import AnimatorOptions, animate

    net = SelfTalk.from_pretrained(model)
    audio, template = np.zeros(16_000, np.float32), np.zeros((64, 3), np.float32)
    for window, overlap in ((float("nan"), 1.0), (4.0, 4.0), (4.0, 9.0), (0.01, None)):
        with pytest.raises(ConfigError):
            predict_motion(net, audio, template, window=window, overlap=overlap)
    with pytest.raises(ConfigError, match="fps"):
        write_glb("x.glb", np.zeros((2, 3, 3)), np.array([[0, 1, 2]]), fps=-30)
    with pytest.raises(ConfigError, match="smoothing"):
        SolverOptions(smoothing=float("nan")).validate()
    with pytest.raises(ConfigError, match="fps"):
        animate([], 1.0, options=AnimatorOptions(fps=0.0))
    del torch


# ------------------------------------------------------------ 6. malformed model directories


def _rewrite_weights(directory, change):
    from safetensors.torch import load_file, save_file

    path = directory / "model.safetensors"
    state = load_file(str(path))
    change(state)
    save_file(state, str(path))


@pytest.mark.parametrize(
    "damage, words",
    [
        (lambda d: (d / "config.json").write_text("[1, 2]"), "JSON object"),
        (lambda d: _rewrite_weights(d, lambda s: s.pop("animator.vertex_head.weight")), "missing"),
        (
            lambda d: _rewrite_weights(
                d,
                lambda s: s.__setitem__(
                    "animator.vertex_head.bias", s["animator.vertex_head.bias"][:5]
                ),
            ),
            "wrong shape",
        ),
        (
            lambda d: (d / "config.json").write_text(
                json.dumps({**json.loads((d / "config.json").read_text()), "audio_encoder": {}})
            ),
            "audio_encoder",
        ),
        (
            lambda d: (d / "config.json").write_text(
                json.dumps(
                    {
                        **json.loads((d / "config.json").read_text()),
                        "audio_encoder": {"conv_dim": 5},
                    }
                )
            ),
            "audio_encoder",
        ),
        (
            lambda d: np.savez(d / "templates.npz", s=np.array([{"x": 1}], dtype=object)),
            "templates.npz",
        ),
        (
            lambda d: _rewrite_weights(
                d, lambda s: s["animator.vertex_head.weight"].view(-1).__setitem__(3, float("nan"))
            ),
            "NaN",
        ),
        (lambda d: (d / "model.safetensors").write_bytes(b"\x08\x00"), "safetensors"),
    ],
)
def test_6_a_malformed_model_directory_is_one_line(tmp_path, capsys, damage, words):
    directory = hostile.model_dir(tmp_path / "model")
    damage(directory)
    audio = hostile.wav(tmp_path / "a.wav")
    code, err = run(capsys, "predict", audio, "--model", directory, "-o", tmp_path / "m.npy")
    assert code == 2
    assert words in error_line(err, "predict", str(directory))


# ------------------------------------------------------------ 7. vertex counts checked at load


def test_7_a_template_of_another_size_is_refused_at_load_naming_both_counts(tmp_path, capsys):
    from selftalk.data.layout import write_templates

    directory = hostile.model_dir(tmp_path / "model")
    write_templates(directory / "templates.npz", {"s": np.zeros((10, 3))})
    code, err = run(
        capsys, "predict", hostile.wav(tmp_path / "a.wav"), "--model", directory,
        "-o", tmp_path / "m.npy",
    )  # fmt: skip
    assert code == 2
    error_line(err, "predict", "templates.npz", "10", "64")


def test_7_a_dataset_of_another_size_is_refused_before_predicting(tmp_path, model):
    from selftalk.errors import InputError
    from selftalk.inference.evaluate import predict_split

    data = hostile.dataset(tmp_path / "data", n_vertices=8)
    with pytest.raises(InputError, match=r"8 vertices .* 64"):
        predict_split(data_dir=data, split="test", out_dir=tmp_path / "pred", model_dir=model)
    assert not (tmp_path / "pred").exists()


# ------------------------------------------------------------ 8. NaN and inf


def test_8_nan_in_a_template_mesh_basis_or_ground_truth_is_refused(tmp_path, capsys):
    from selftalk.errors import InputError
    from selftalk.export.arkit import load_basis
    from selftalk.mesh import read_mesh

    (tmp_path / "nan.obj").write_text("v 0 0 0\nv 1 0 nan\nv 0 1 0\nf 1 2 3\n")
    with pytest.raises(InputError, match="NaN"):
        read_mesh(tmp_path / "nan.obj")
    deltas = np.zeros((2, 3, 3), np.float32)
    deltas[1, 1, 1] = np.inf
    np.savez(tmp_path / "b.npz", names=np.array(["jawOpen", "mouthClose"]), deltas=deltas)
    with pytest.raises(InputError, match="NaN or infinite"):
        load_basis(tmp_path / "b.npz")
    data = hostile.dataset(tmp_path / "data")
    gt = data / "vertices_npy" / "s_a.npy"
    motion = np.load(gt)
    (tmp_path / "pred").mkdir()
    for name in ("s_a", "s_b"):
        np.save(tmp_path / "pred" / f"{name}.npy", np.load(data / "vertices_npy" / f"{name}.npy"))
    motion[1, 2] = np.nan
    np.save(gt, motion)
    code, err = run(capsys, "metrics", "--pred", tmp_path / "pred", "--data", data)
    assert code == 2 and "NaN" in error_line(err, "metrics", "s_a.npy")


def test_8_infinite_config_values_are_config_errors():
    from selftalk.config import resolve
    from selftalk.errors import ConfigError

    for assignment in ("train.lr=.inf", "model.fps=.nan", "loss.rec=-.inf", "train.lr=1e999"):
        with pytest.raises(ConfigError, match="finite"):
            resolve("tiny", assignments=[assignment])
    assert resolve("tiny", assignments=["train.lr=3e-4"]).train.lr == 3e-4  # as documented


def test_8_a_run_whose_loss_becomes_nan_stops_with_an_error(tmp_path, monkeypatch):
    import torch

    from selftalk.config import tiny
    from selftalk.errors import TrainingError
    from selftalk.training import loop
    from selftalk.training.run import train

    data = hostile.dataset(tmp_path / "data")
    real_forward = loop.Trainer._forward

    def poisoned(self, batch):
        out = real_forward(self, batch)
        out.loss = out.loss * torch.tensor(float("nan"))
        return out

    monkeypatch.setattr(loop.Trainer, "_forward", poisoned)
    config = tiny()
    config.loss.lat = config.loss.ctc = 0.0
    with pytest.raises(TrainingError, match="nan"):
        train(config, data_dir=data, run_dir=tmp_path / "run", train_split="test",
              val_split=None, progress=False)  # fmt: skip
    assert not (tmp_path / "run" / "checkpoints" / "latest.json").exists()


# ------------------------------------------------------------ 9. memory bombs


def test_9_a_pickle_cannot_claim_memory_its_file_does_not_hold(tmp_path):
    from selftalk.data.safe_pickle import load_pickle
    from selftalk.errors import InputError

    start = time.perf_counter()
    with pytest.raises(InputError, match="bytearray of 68,719,476,736 bytes"):
        load_pickle(hostile.bytearray_bomb(tmp_path / "bomb.pkl"))
    (tmp_path / "array.pkl").write_bytes(
        b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n(I10000000000\ntS'b'\ntR."
    )
    with pytest.raises(InputError, match="numpy array of 10,000,000,000 bytes"):
        load_pickle(tmp_path / "array.pkl")
    assert time.perf_counter() - start < 5


def test_9_a_tgz_is_read_a_member_at_a_time_within_a_budget(tmp_path):
    from selftalk.data.biwi import read_sequence
    from selftalk.errors import InputError

    bomb = hostile.tgz_bomb(tmp_path / "e01.tgz", member_bytes=2**27)
    with pytest.raises(InputError, match="unpack to more than"):
        read_sequence(bomb)


def test_9_a_yaml_alias_bomb_is_refused_without_expanding_it(tmp_path):
    from selftalk.config import load_overrides
    from selftalk.errors import InputError

    start = time.perf_counter()
    with pytest.raises(InputError, match="aliases") as caught:
        load_overrides(hostile.yaml_bomb(tmp_path / "bomb.yaml", levels=40))
    assert len(str(caught.value)) < 300 and time.perf_counter() - start < 5


def test_9_the_arkit_solver_works_in_blocks_of_frames(monkeypatch):
    from selftalk.export import arkit

    rng = np.random.default_rng(0)
    deltas = rng.normal(0, 0.01, (5, 40, 3)).astype(np.float32)
    basis = arkit.BlendshapeBasis(names=tuple("abcde"), deltas=deltas, neutral=np.zeros((40, 3)))
    truth = rng.uniform(0, 1, (30, 5))
    motion = np.einsum("tk,kvc->tvc", truth, deltas).astype(np.float32)
    whole = arkit.solve_weights(motion, basis)
    monkeypatch.setattr(arkit, "BLOCK_VALUES", 3 * 40 * 7)  # 7 frames a block
    blocked = arkit.solve_weights(motion, basis)
    np.testing.assert_allclose(blocked.weights, whole.weights, atol=1e-6)
    assert blocked.rms_error == pytest.approx(whole.rms_error, rel=1e-6)
    assert blocked.max_error == pytest.approx(whole.max_error, rel=1e-6)


# ------------------------------------------------------------ 10. import-official --lips


@pytest.mark.parametrize("make", [hostile.object_npy, hostile.text_file, hostile.empty_file])
def test_10_lips_that_are_objects_or_text_are_one_line(tmp_path, capsys, make):
    lips = make(tmp_path / "lips.npy")
    code, err = run(
        capsys, "import-official", tmp_path / "x.pth", "--preset", "vocaset-official",
        "--lips", lips, "-o", tmp_path / "out",
    )  # fmt: skip
    assert code == 2
    error_line(err, "import-official", "lips.npy")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------ 11. config parsing


@pytest.mark.parametrize(
    "extra, words",
    [
        (["train.lr=["], "not valid YAML"),
        (["train.lr=1", "train.lr.x=2"], "both a value and keys"),
        (["model.animator.encoder.conv_stride=[0,8,8]"], "conv_stride[0]"),
        (
            ["model.animator.encoder.num_conv_pos_embedding_groups=0"],
            "num_conv_pos_embedding_groups",
        ),
        (["--config", "."], "folder"),
        (["--config", "BINARY"], "not a text file"),
        (["--config", "BOMB"], "aliases"),
    ],
)
def test_11_config_errors_are_one_line_before_any_work(tmp_path, capsys, extra, words):
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00\x81binary")
    hostile.yaml_bomb(tmp_path / "bomb.yaml")
    names = {"BINARY": tmp_path / "binary.yaml", "BOMB": tmp_path / "bomb.yaml", ".": tmp_path}
    extra = [str(names.get(e, e)) for e in extra]
    code, err = run(
        capsys, "train", "--preset", "tiny", "--data", tmp_path / "nodata", "--out",
        tmp_path / "run", *extra,
    )  # fmt: skip
    assert code == 2
    assert words in error_line(err, "train")
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------ 12. prepare checks first


@pytest.mark.parametrize(
    "release, words",
    [
        ({"subject": "bad/name"}, "bad subject name"),
        ({"sentence": "sentence_01"}, "bad sentence name"),
        ({"sample_rate": "fast"}, "bad sample rate"),
        ({"sample_rate": float("nan")}, "bad sample rate"),
        ({"fps": "7"}, "fps 7"),
    ],
)
def test_12_prepare_vocaset_checks_everything_before_writing(tmp_path, capsys, release, words):
    fps = release.pop("fps", None)
    raw = hostile.raw_vocaset(tmp_path / "raw", **release)
    out = tmp_path / "data"
    code, err = run(
        capsys, "prepare", "vocaset", raw, "-o", out, "-q", *(["--fps", fps] if fps else [])
    )
    assert code == 2
    error_line(err, "prepare vocaset", words)
    assert not out.exists()


def test_12_an_empty_clip_is_skipped_with_a_warning(tmp_path, capsys):
    raw = hostile.raw_vocaset(tmp_path / "raw", audio_samples=0)
    code, err = run(capsys, "prepare", "vocaset", raw, "-o", tmp_path / "data", "-q")
    assert "its audio is empty" in err and "Traceback" not in err


# ------------------------------------------------------------ 13. resume after damage


@pytest.fixture(scope="module")
def pristine_run(tmp_path_factory):
    """A run of two epochs (two checkpoints kept) on a tiny dataset; tests copy it."""
    from selftalk.config import tiny
    from selftalk.training.run import train

    root = tmp_path_factory.mktemp("resume")
    data = hostile.dataset(root / "data")
    config = tiny()
    config.loss.lat = config.loss.ctc = 0.0
    config.train.epochs = 2
    train(config, data_dir=data, run_dir=root / "run", train_split="test",
          val_split=None, progress=False)  # fmt: skip
    return data, root / "run"


DAMAGES = {
    "truncated weights": lambda c: (c / "model" / "model.safetensors").write_bytes(b"\x10\0\0"),
    "broken state.json": lambda c: (c / "state.json").write_text('{"state": [1, 2]'),
    "wrong-typed state.json": lambda c: (c / "state.json").write_text(
        '{"state": {"step": "x"}, "optimizer": {}, "rng": {}}'
    ),
    "latest.json a list": lambda c: (c.parent / "latest.json").write_text("[]"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_13_resume_falls_back_to_the_previous_intact_checkpoint(
    pristine_run, tmp_path, capsys, damage
):
    import shutil

    from selftalk.training.run import train

    data, pristine = pristine_run
    run_dir = tmp_path / "run"
    shutil.copytree(pristine, run_dir)
    steps = sorted(p.name for p in (run_dir / "checkpoints").glob("step-*"))
    assert len(steps) == 2
    DAMAGES[damage](run_dir / "checkpoints" / steps[-1])
    trainer = train(
        None, data_dir=data, run_dir=run_dir, resume=True,
        resume_overrides={"train": {"epochs": 3}}, train_split="test", val_split=None,
        progress=False,
    )  # fmt: skip
    assert trainer.state.epoch == 3
    if damage != "latest.json a list":  # a broken pointer: the newest folder is intact
        assert f"passed over damaged checkpoint(s) {steps[-1]}" in capsys.readouterr().err


def test_13_best_json_names_only_a_checkpoint_of_the_run(tmp_path):
    from selftalk.errors import InputError
    from selftalk.training.checkpoint import checkpoint_path

    outside = tmp_path / "outside"
    (outside / "model").mkdir(parents=True)
    root = tmp_path / "run" / "checkpoints"
    (root / "step-0000001").mkdir(parents=True)
    for target in (str(outside), "../../outside", "step-0000001/../../../outside"):
        (root / "best.json").write_text(json.dumps({"name": target}))
        with pytest.raises(InputError, match="no best checkpoint"):
            checkpoint_path(tmp_path / "run", "best")
    (root / "best.json").write_text(json.dumps({"name": "step-0000001"}))
    assert checkpoint_path(tmp_path / "run", "best") == root / "step-0000001"


# ------------------------------------------------------------ 14. a 0-byte prediction


def test_14_an_empty_prediction_file_is_one_line(tmp_path, capsys):
    data = hostile.dataset(tmp_path / "data")
    (tmp_path / "pred").mkdir()
    for name in ("s_a", "s_b"):
        np.save(tmp_path / "pred" / f"{name}.npy", np.load(data / "vertices_npy" / f"{name}.npy"))
    (tmp_path / "pred" / "s_b.npy").write_bytes(b"")
    code, err = run(capsys, "metrics", "--pred", tmp_path / "pred", "--data", data)
    assert code == 2 and "empty" in error_line(err, "metrics", "s_b.npy")


# ------------------------------------------------------------ 16. numpy's own pickles load


def test_16_a_protocol_2_pickle_of_an_empty_array_loads(tmp_path):
    from selftalk.data.safe_pickle import load_pickle

    loaded = load_pickle(hostile.empty_array_pickle(tmp_path / "empty.pkl"))
    assert loaded["a"].shape == (0, 3) and loaded["a"].dtype == np.float32
