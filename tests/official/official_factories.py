"""Tiny checkpoints in the official release's naming, made by the tests themselves."""

from __future__ import annotations

import math

import numpy as np
import torch

from selftalk.config import SelfTalkConfig, apply_overrides, tiny
from selftalk.models.selftalk import SelfTalk
from selftalk.models.wav2vec2 import build_wav2vec2

# Lip vertices in a deliberate order, with a duplicate (FLAME's "lips" region has some).
LIPS = np.array([5, 3, 3, 40, 63, 0, 17, 22])
N_VERTICES = 64
SETTINGS = {"vocaset": (30.0, "interpolate_cnn"), "BIWI": (25.0, "stack")}

# The release's module children, written out here independently of the package's own map.
OURS_TO_OFFICIAL = {
    "animator.audio_encoder.": "audio_encoder.",
    "animator.audio_feature_map.": "audio_feature_map.",
    "animator.decoder.": "transformer_decoder.",
    "animator.vertex_head.": "vertice_map_r.",
    "lip_reader.lip_map.": "lip_map.",
    "lip_reader.transformer.": "transformer.",
    "lip_reader.text_head.": "lm_head.",
}


def tiny_official(dataset: str = "vocaset") -> SelfTalkConfig:
    """The tiny preset shaped like the release: encoder–decoder lip reader, its alignment."""
    fps, alignment = SETTINGS[dataset]
    config = tiny()
    # SpecAugment on (as in the release) so both encoders carry a masked_spec_embed
    config.model = apply_overrides(
        config.model,
        {
            "fps": fps,
            "animator": {"alignment": alignment, "encoder": {"mask_time_prob": 0.05}},
            "lip_reader": {"architecture": "encoder_decoder"},
        },
    )
    config.recognizer = apply_overrides(config.recognizer, {"mask_time_prob": 0.05})
    return config


def reference_kwargs(config: SelfTalkConfig, dataset: str) -> dict:
    """Architecture numbers the plain-torch reference needs."""
    enc = config.model.animator.encoder
    return dict(
        dataset=dataset,
        fps=config.model.fps,
        cnn_strides=enc.conv_stride,
        enc_heads=enc.num_heads,
        pos_groups=enc.num_conv_pos_embedding_groups,
        dec_heads=config.model.animator.decoder_heads,
        lip_heads=config.model.lip_reader.num_heads,
    )


def official_state(
    config: SelfTalkConfig, *, layout: str = "new", seed: int = 0
) -> dict[str, torch.Tensor]:
    """A random state dict with the release's key names for ``config`` (tiny sizes).

    Every tensor is random, the zero-initialised vertex head included. ``layout`` picks the
    positional-convolution weight norm: ``old`` (weight_g/weight_v) or ``new``
    (parametrizations.weight.original0/1).
    """
    torch.manual_seed(seed)
    names = {}
    model = SelfTalk(config.model, LIPS)
    for key, value in model.state_dict().items():
        if key == "lip_reader.lip_indices":
            continue
        for ours, official in OURS_TO_OFFICIAL.items():
            if key.startswith(ours):
                names[official + key[len(ours) :]] = value
                break
        else:
            raise AssertionError(f"no official name for {key}")
    for key, value in build_wav2vec2(config.recognizer, ctc=True).state_dict().items():
        names["text_encoder." + key] = value
    generator = torch.Generator().manual_seed(seed)
    state = {key: _randomised(key, value, generator) for key, value in names.items()}
    return with_layout(state, layout)


def with_layout(state: dict[str, torch.Tensor], layout: str) -> dict[str, torch.Tensor]:
    """Rename the weight-norm keys to the ``old`` or ``new`` layout."""
    pairs = [
        (".weight_g", ".parametrizations.weight.original0"),
        (".weight_v", ".parametrizations.weight.original1"),
    ]
    out = {}
    for key, value in state.items():
        for old, new in pairs:
            src, dst = (new, old) if layout == "old" else (old, new)
            if key.endswith(src):
                key = key[: -len(src)] + dst
        out[key] = value
    return out


def _randomised(key: str, value: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    if not value.is_floating_point():
        return value.clone()
    noise = torch.randn(value.shape, generator=generator)
    if value.ndim >= 2:
        fan_in = math.prod(value.shape[1:])
        return noise / math.sqrt(fan_in)
    if key.endswith("weight") and "norm" in key:
        return 1.0 + 0.2 * noise
    return 0.2 * noise


def random_audio(samples: int, seed: int = 1) -> torch.Tensor:
    """(S,) zero-mean unit-variance noise, as the release feeds its model."""
    audio = torch.randn(samples, generator=torch.Generator().manual_seed(seed))
    return (audio - audio.mean()) / torch.sqrt(audio.var(unbiased=False) + 1e-7)
