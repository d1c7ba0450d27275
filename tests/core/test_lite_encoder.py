import dataclasses

import pytest
import torch

from selftalk.config import apply_overrides, tiny, tiny_encoder
from selftalk.models.frames import lengths_to_mask
from selftalk.models.selftalk import SelfTalk
from selftalk.models.wav2vec2 import adapt_weight_norm_keys, build_wav2vec2
from selftalk.models.wav2vec2_lite import LiteWav2Vec2Model


@pytest.mark.parametrize("stable, norm", [(True, "layer"), (False, "group"), (False, "layer")])
def test_lite_encoder_equals_the_hugging_face_one(stable, norm):
    torch.manual_seed(0)
    spec = dataclasses.replace(
        tiny_encoder(),
        do_stable_layer_norm=stable,
        feat_extract_norm=norm,
        num_conv_pos_embeddings=15,
    )
    hf = build_wav2vec2(spec).eval()
    for p in hf.parameters():  # no zero-initialised parts: every weight matters
        p.data.normal_(0, 0.2)
    lite = LiteWav2Vec2Model(hf.config.to_dict())
    state = adapt_weight_norm_keys(hf.state_dict(), set(lite.state_dict()))
    lite.load_state_dict(state)
    audio = torch.randn(2, 12_000)
    with torch.no_grad():
        a = hf.feature_extractor(audio).transpose(1, 2)
        b = lite.feature_extractor(audio).transpose(1, 2)
        torch.testing.assert_close(a, b)
        mask = lengths_to_mask(torch.tensor([a.shape[1], a.shape[1] - 7]), a.shape[1])
        ha = hf.encoder(hf.feature_projection(a)[0], attention_mask=mask).last_hidden_state
        hb = lite.encoder(lite.feature_projection(b)[0], attention_mask=mask).last_hidden_state
        torch.testing.assert_close(ha[0], hb[0], rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(ha[1, :-7], hb[1, :-7], rtol=1e-4, atol=1e-5)


def test_a_saved_model_predicts_the_same_with_the_lite_encoder(tmp_path):
    torch.manual_seed(1)
    config = apply_overrides(tiny().model, {"animator": {"alignment": "interpolate_cnn"}})
    model = SelfTalk(config, torch.arange(8))
    torch.nn.init.normal_(model.animator.vertex_head.weight, std=0.01)
    model.save_pretrained(tmp_path)
    full = SelfTalk.from_pretrained(tmp_path)
    lite = SelfTalk.from_pretrained(tmp_path, lite=True)
    audio, template = torch.randn(21_000), torch.randn(64, 3)
    torch.testing.assert_close(
        lite.predict(audio, template), full.predict(audio, template), rtol=1e-4, atol=1e-5
    )
    lite.save_pretrained(tmp_path / "again")  # a lite model saves the same directory
    again = SelfTalk.from_pretrained(tmp_path / "again")
    torch.testing.assert_close(again.predict(audio, template), full.predict(audio, template))
