import dataclasses
import json

import pytest

from selftalk.config import (
    PRESETS,
    ConfigError,
    SelfTalkConfig,
    apply_overrides,
    from_dict,
    parse_assignments,
    preset,
    resolve,
    to_dict,
)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_validates_and_round_trips_through_json(name):
    config = preset(name).validate()
    restored = from_dict(SelfTalkConfig, json.loads(json.dumps(to_dict(config))))
    assert restored == config


def test_paper_settings():
    voca, biwi = preset("vocaset"), preset("biwi")
    assert (voca.loss.rec, voca.loss.vel, voca.loss.lat, voca.loss.ctc) == (
        1000,
        1000,
        0.001,
        0.0001,
    )
    assert (voca.train.lr, voca.train.batch_size, voca.train.epochs) == (1e-4, 1, 100)
    assert (voca.model.n_vertices, voca.model.n_lip_vertices, voca.model.fps) == (5023, 254, 30)
    assert (biwi.model.n_vertices, biwi.model.n_lip_vertices, biwi.model.fps) == (23370, 4996, 25)
    assert voca.model.animator.feature_dim == 512 and biwi.model.animator.feature_dim == 1024
    assert biwi.model.animator.alignment == "stack"
    assert voca.model.lip_reader.num_layers == 6
    assert preset("vocaset-official").model.lip_reader.architecture == "encoder_decoder"


def test_presets_are_independent_copies():
    a = preset("tiny")
    a.train.lr = 123.0
    assert preset("tiny").train.lr != 123.0


def test_configs_are_keyword_only():
    with pytest.raises(TypeError):
        SelfTalkConfig(preset("tiny").model)  # positional


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"model": {"animator": {"feature_dim": 0}}}, "model.animator.feature_dim"),
        ({"model": {"animator": {"feature_dim": 31}}}, "model.animator.feature_dim"),
        ({"model": {"lip_reader": {"dropout": 1.5}}}, "model.lip_reader.dropout"),
        ({"model": {"n_lip_vertices": 100}}, "model.n_lip_vertices"),
        ({"loss": {"ctc": -1.0}}, "loss.ctc"),
        ({"train": {"batch_size": 0}}, "train.batch_size"),
        ({"model": {"lip_reader": {"width": 64}}}, "model.lip_reader.width"),
        ({"model": {"fps": 7.0}, "train": {}}, None),
    ],
)
def test_bad_configs_fail_validate_naming_the_field(overrides, field):
    config = apply_overrides(preset("tiny"), overrides)
    if field is None:  # fps 7 is fine for interpolation, but not for stacking
        config.validate()
        config.model.animator.alignment = "stack"
        field = "model.animator.alignment"
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        config.validate()


def test_unknown_keys_and_wrong_types_are_rejected():
    with pytest.raises(ConfigError, match="model.animator.feature_dims"):
        apply_overrides(preset("tiny"), {"model": {"animator": {"feature_dims": 3}}})
    with pytest.raises(ConfigError, match="train.lr must be a number"):
        apply_overrides(preset("tiny"), {"train": {"lr": "fast"}})
    with pytest.raises(ConfigError, match="alignment must be one of"):
        apply_overrides(preset("tiny"), {"model": {"animator": {"alignment": "nearest"}}})
    with pytest.raises(ConfigError, match="must be true or false"):
        apply_overrides(preset("tiny"), {"train": {"amp": "yes"}})


def test_yaml_files_hold_overrides_and_assignments_win(tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text("train:\n  lr: 0.5\n  epochs: 3\nloss:\n  ctc: 0\n")
    config = resolve("tiny", files=[path], assignments=["train.lr=0.25", "model.fps=25"])
    assert (config.train.lr, config.train.epochs, config.loss.ctc) == (0.25, 3, 0.0)
    assert config.model.fps == 25.0
    assert config.model.animator == preset("tiny").model.animator


def test_unknown_key_in_yaml_names_the_key(tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text("train:\n  learning_rate: 0.5\n")
    with pytest.raises(ConfigError, match="train.learning_rate"):
        resolve("tiny", files=[path])


def test_parse_assignments_nests_and_parses_values():
    assert parse_assignments(["a.b=1", "a.c=[1, 2]", "d=x"]) == {
        "a": {"b": 1, "c": [1, 2]},
        "d": "x",
    }
    with pytest.raises(ConfigError):
        parse_assignments(["novalue"])


def test_tuples_survive_overrides():
    config = apply_overrides(preset("tiny"), {"recognizer": {"conv_stride": [5, 8, 8]}})
    assert config.recognizer.conv_stride == (5, 8, 8)
    assert dataclasses.is_dataclass(config.recognizer)


def test_the_bundled_recipes_are_the_phonemes_preset_with_their_output_low_pass():
    """New diagram runs clip the animator and the reader each on its own (one clip let a seed
    stall); configs/bundled.yaml differs from the preset only in the output low-pass chosen
    for the bundled weights, which its packaged config carries, and the streaming recipe only
    in also reading 40 ms ahead instead of 120."""
    import json
    from pathlib import Path

    from selftalk.config import load_overrides

    phonemes = preset("phonemes")
    assert phonemes.train.grad_clip_by_module
    root = Path(__file__).resolve().parents[2]
    for recipe, model, lookahead in (
        ("bundled", "model", 6),
        ("bundled-streaming", "stream-model", 2),
    ):
        bundled = apply_overrides(phonemes, load_overrides(root / f"configs/{recipe}.yaml"))
        assert bundled.model.animator.smoothing == 3
        assert bundled.model.animator.lookahead == lookahead
        bundled.model.animator.smoothing = phonemes.model.animator.smoothing
        bundled.model.animator.lookahead = phonemes.model.animator.lookahead
        assert bundled == phonemes
        shipped = json.loads((root / f"src/selftalk/assets/{model}/config.json").read_text())
        assert shipped["model"]["animator"]["smoothing"] == 3
        assert shipped["model"]["animator"]["lookahead"] == lookahead
