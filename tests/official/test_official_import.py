import pickle

import numpy as np
import pytest
import torch
from official_factories import (
    LIPS,
    N_VERTICES,
    official_state,
    random_audio,
    reference_kwargs,
    tiny_official,
    with_layout,
)
from official_reference import official_predict

from selftalk.config import preset, xlsr53_large
from selftalk.errors import InputError
from selftalk.models.official import (
    import_config,
    import_official,
    load_official_state,
    recognizer_hf_config,
    split_official_state,
)
from selftalk.models.selftalk import SelfTalk
from selftalk.topology import read_indices


def lip_logits(model, audio, template):
    out = model.animator(audio[None], template[None])
    frames = int(out.frame_lengths[0])
    target = int(frames / model.config.fps * 50)
    return model.lip_reader(out.offsets, out.frame_lengths, torch.tensor([target])).logits[0]


@pytest.mark.parametrize("dataset", ["vocaset", "BIWI"])
@pytest.mark.parametrize("layout", ["old", "new"])
def test_imported_model_predicts_what_the_official_forward_predicts(dataset, layout):
    config = tiny_official(dataset)
    state = official_state(config, layout=layout)
    model = import_official(state, config.model, LIPS, recognizer=config.recognizer).model
    template = torch.randn(N_VERTICES, 3, generator=torch.Generator().manual_seed(3))
    for samples in (16_000, 23_457, 7_919, 74_720):
        audio = random_audio(samples)
        ours = model.predict(audio, template)
        expected, expected_logits = official_predict(
            state, audio, template, torch.as_tensor(LIPS), **reference_kwargs(config, dataset)
        )
        assert ours.shape == expected.shape
        assert (ours - expected).abs().max() <= 1e-5 * max(1.0, float(expected.abs().max()))
        with torch.no_grad():
            logits = lip_logits(model, audio, template)
        assert logits.shape == expected_logits.shape
        torch.testing.assert_close(logits, expected_logits, rtol=1e-5, atol=1e-5)


def test_every_official_key_lands_on_its_counterpart():
    config = tiny_official()
    state = official_state(config, layout="old")
    weights = split_official_state(state)
    pairs = {
        "vertice_map_r.weight": "animator.vertex_head.weight",
        "audio_feature_map.bias": "animator.audio_feature_map.bias",
        "transformer_decoder.layers.0.norm3.bias": "animator.decoder.layers.0.norm3.bias",
        "audio_encoder.encoder.pos_conv_embed.conv.weight_g": "animator.audio_encoder.encoder.pos_conv_embed.conv.weight_g",
        "audio_encoder.masked_spec_embed": "animator.audio_encoder.masked_spec_embed",
        "lip_map.weight": "lip_reader.lip_map.weight",
        "transformer.encoder.layers.0.linear1.weight": "lip_reader.transformer.encoder.layers.0.linear1.weight",
        "transformer.decoder.norm.weight": "lip_reader.transformer.decoder.norm.weight",
        "lm_head.bias": "lip_reader.text_head.bias",
    }
    for official, ours in pairs.items():
        assert weights.model[ours] is state[official]
    assert weights.recognizer["lm_head.weight"] is state["text_encoder.lm_head.weight"]
    assert (
        weights.recognizer["wav2vec2.masked_spec_embed"]
        is state["text_encoder.wav2vec2.masked_spec_embed"]
    )
    assert len(weights.model) + len(weights.recognizer) == len(state)

    model = import_official(state, config.model, LIPS, recognizer=config.recognizer).model
    loaded = model.state_dict()
    for official, ours in pairs.items():
        ours = ours.replace("weight_g", "parametrizations.weight.original0")
        assert torch.equal(loaded[ours], state[official])
    assert torch.equal(loaded["lip_reader.lip_indices"], torch.as_tensor(LIPS))


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda s: s.pop("transformer.decoder.norm.weight"),
            "missing key(s): transformer.decoder.norm.weight",
        ),
        (lambda s: s.pop("vertice_map_r.bias"), "missing key(s): vertice_map_r.bias"),
        (
            lambda s: s.update({"audio_encoder.extra.weight": torch.zeros(1)}),
            "unexpected key(s): audio_encoder.extra.weight",
        ),
        (lambda s: s.update({"biased_mask": torch.zeros(1)}), "unexpected key(s): biased_mask"),
        (
            lambda s: s.pop("text_encoder.lm_head.bias"),
            "recognizer: does not match the preset: 1 missing key(s): text_encoder.lm_head.bias",
        ),
        (
            lambda s: s.update({"text_encoder.wav2vec2.adapter.w": torch.zeros(1)}),
            "unexpected key(s): text_encoder.wav2vec2.adapter.w",
        ),
        (
            lambda s: s.update({"vertice_map_r.weight": torch.zeros(99, 32)}),
            "vertice_map_r.weight is (99, 32), expected (192, 32)",
        ),
    ],
)
def test_loading_is_strict_and_names_the_offending_keys(change, message):
    config = tiny_official()
    state = official_state(config)
    change(state)
    with pytest.raises(InputError) as error:
        import_official(state, config.model, LIPS, recognizer=config.recognizer, source="x.pth")
    assert message in str(error.value)
    assert str(error.value).startswith("x.pth: ")


def test_a_checkpoint_for_another_preset_is_refused():
    state = official_state(tiny_official("BIWI"))  # stacked pairs: audio_feature_map reads 2×
    config = tiny_official("vocaset")
    with pytest.raises(InputError, match="audio_feature_map.weight is"):
        import_official(state, config.model, LIPS, recognizer=config.recognizer)


def test_lip_file_must_fit_the_checkpoint():
    config = tiny_official()
    state = official_state(config)
    with pytest.raises(InputError, match="lip_map reads 8 lip vertices but the lip file lists 7"):
        import_official(state, config.model, LIPS[:7], recognizer=config.recognizer)
    with pytest.raises(InputError, match="outside the 64 vertices"):
        import_official(state, config.model, np.r_[LIPS[:7], 64], recognizer=config.recognizer)


def test_dropping_the_recognizer_still_checks_it():
    config = tiny_official()
    state = official_state(config)
    imported = import_official(
        state, config.model, LIPS, recognizer=config.recognizer, keep_recognizer=False
    )
    assert imported.recognizer_config is None and imported.recognizer_state == {}
    state.pop("text_encoder.lm_head.weight")
    with pytest.raises(InputError, match="text_encoder.lm_head.weight"):
        import_official(
            state, config.model, LIPS, recognizer=config.recognizer, keep_recognizer=False
        )


def test_lip_lists_read_from_release_style_pickles(tmp_path):
    # BIWI_lip.pkl: a pickled list of ints; FLAME_masks.pkl: a Python 2 era dict of arrays.
    order = [7, 2, 2, 9, 1]
    with open(tmp_path / "BIWI_lip.pkl", "wb") as f:
        pickle.dump(order, f, protocol=2)
    regions = {"lips": np.array(order, dtype=np.uint32), "nose": np.arange(3)}
    with open(tmp_path / "FLAME_masks.pkl", "wb") as f:
        pickle.dump(regions, f, protocol=2)
    for name in ("BIWI_lip.pkl", "FLAME_masks.pkl"):
        lips = read_indices(tmp_path / name, key="lips")
        assert lips.dtype == np.int64 and lips.tolist() == order


class NotATensor:
    pass


def test_checkpoints_are_read_with_weights_only(tmp_path):
    torch.save({"lm_head.weight": torch.zeros(1), "evil": NotATensor()}, tmp_path / "bad.pth")
    with pytest.raises(InputError, match="can be read safely"):
        load_official_state(tmp_path / "bad.pth")
    torch.save([torch.zeros(1)], tmp_path / "list.pth")
    with pytest.raises(InputError, match="expected a non-empty state dict"):
        load_official_state(tmp_path / "list.pth")
    with pytest.raises(InputError, match="no such checkpoint"):
        load_official_state(tmp_path / "absent.pth")
    state = with_layout(official_state(tiny_official()), "old")
    torch.save(state, tmp_path / "good.pth")
    loaded = load_official_state(tmp_path / "good.pth")
    assert loaded.keys() == state.keys()
    assert all(torch.equal(loaded[k], state[k]) for k in state)


# --------------------------------------------------------------------------------------------
# The full-size architecture, checked on the meta device (shapes only: no memory, no time)

XLSR53_ENGLISH = {  # facts of the recognizer's config.json (DESIGN.md §3)
    "hidden_size": 1024,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "intermediate_size": 4096,
    "conv_dim": [512] * 7,
    "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
    "conv_stride": [5, 2, 2, 2, 2, 2, 2],
    "conv_bias": True,
    "feat_extract_norm": "layer",
    "feat_extract_activation": "gelu",
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-5,
    "do_stable_layer_norm": True,
    "num_conv_pos_embeddings": 128,
    "num_conv_pos_embedding_groups": 16,
    "vocab_size": 33,
    "pad_token_id": 0,
    "hidden_dropout": 0.05,
    "attention_dropout": 0.1,
    "activation_dropout": 0.05,
    "feat_proj_dropout": 0.05,
    "final_dropout": 0.0,
    "layerdrop": 0.05,
    "mask_time_prob": 0.05,
    "mask_time_length": 10,
    "mask_feature_prob": 0.0,
    "ctc_zero_infinity": True,
    "apply_spec_augment": True,
}


def test_the_offline_recognizer_config_equals_the_english_xlsr53():
    for name in ("vocaset-official", "biwi-official"):
        config = recognizer_hf_config(preset(name).recognizer).to_dict()
        assert {k: config[k] for k in XLSR53_ENGLISH} == XLSR53_ENGLISH
    assert import_config(preset("vocaset-official").model).animator.encoder == xlsr53_large(None)


@pytest.mark.parametrize(
    "name, shapes",
    [
        (
            "vocaset-official",
            {
                "animator.audio_feature_map.weight": (512, 1024),
                "animator.decoder.layers.0.linear1.weight": (1024, 512),
                "animator.vertex_head.weight": (5023 * 3, 512),
                "lip_reader.lip_map.weight": (1024, 254 * 3),
                "lip_reader.transformer.encoder.layers.5.linear1.weight": (2048, 1024),
                "lip_reader.transformer.decoder.layers.5.multihead_attn.in_proj_weight": (
                    3072,
                    1024,
                ),
                "lip_reader.text_head.weight": (33, 1024),
                "animator.audio_encoder.encoder.layers.23.feed_forward.intermediate_dense.weight": (
                    4096,
                    1024,
                ),
                "animator.audio_encoder.encoder.pos_conv_embed.conv.parametrizations.weight.original1": (
                    1024,
                    64,
                    128,
                ),
            },
        ),
        (
            "biwi-official",
            {
                "animator.audio_feature_map.weight": (1024, 2048),
                "animator.decoder.layers.0.linear1.weight": (2048, 1024),
                "animator.vertex_head.weight": (23370 * 3, 1024),
                "lip_reader.lip_map.weight": (1024, 4996 * 3),
            },
        ),
    ],
)
def test_official_presets_have_the_release_architecture(name, shapes):
    model_config = import_config(preset(name).model)
    with torch.device("meta"):
        model = SelfTalk(model_config, np.zeros(model_config.n_lip_vertices, np.int64))
    state = model.state_dict()
    for key, shape in shapes.items():
        assert tuple(state[key].shape) == shape, key
    assert not any(".layers.6." in k for k in state if k.startswith("lip_reader.transformer."))
    assert not any("decoder.layers.1." in k for k in state if k.startswith("animator.decoder."))
    assert model.animator.decoder.layers[0].self_attn.num_heads == 4
    assert model.lip_reader.transformer.encoder.layers[0].self_attn.num_heads == 8
