"""An inference-only wav2vec 2.0 encoder in plain torch, with Hugging Face's parameter names.

Why it exists: importing ``transformers`` costs 2-3 s on a laptop CPU, more than the bundled
model takes to animate a minute of speech, and ``selftalk animate`` promises an answer in a few
seconds. Training and anything that needs SpecAugment, LayerDrop, dropout, adapters or
gradient checkpointing uses the Hugging Face model; this module only reproduces its eval-mode
forward (tested equal to it) for loading saved models quickly. It reads the same state dicts
(the positional convolution's weight norm as ``weight_g``/``weight_v``; see
:func:`selftalk.models.wav2vec2.adapt_weight_norm_keys`) and the same config dictionaries.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

_ACTIVATIONS = {
    "gelu": F.gelu,
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
}


def _activation(name: str):
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation {name!r} is not supported by the lite encoder")
    return _ACTIVATIONS[name]


class _ConvLayer(nn.Module):
    def __init__(self, c: SimpleNamespace, i: int, norm: str | None):
        super().__init__()
        in_dim = c.conv_dim[i - 1] if i else 1
        self.conv = nn.Conv1d(
            in_dim, c.conv_dim[i], c.conv_kernel[i], c.conv_stride[i], bias=c.conv_bias
        )
        self.norm = norm
        if norm == "layer":
            self.layer_norm = nn.LayerNorm(c.conv_dim[i])
        elif norm == "group":
            self.layer_norm = nn.GroupNorm(c.conv_dim[i], c.conv_dim[i])
        self.act = _activation(c.feat_extract_activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.norm == "layer":
            x = self.layer_norm(x.transpose(1, 2)).transpose(1, 2)
        elif self.norm == "group":
            x = self.layer_norm(x)
        return self.act(x)


class _FeatureEncoder(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        norms = (
            ["layer"] * len(c.conv_dim)
            if c.feat_extract_norm == "layer"
            else ["group"] + [None] * (len(c.conv_dim) - 1)
        )
        self.conv_layers = nn.ModuleList(_ConvLayer(c, i, n) for i, n in enumerate(norms))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        x = audio[:, None]
        for layer in self.conv_layers:
            x = layer(x)
        return x


class _FeatureProjection(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        self.layer_norm = nn.LayerNorm(c.conv_dim[-1], eps=c.layer_norm_eps)
        self.projection = nn.Linear(c.conv_dim[-1], c.hidden_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        normed = self.layer_norm(x)
        return self.projection(normed), normed


class _WeightNormConv(nn.Module):
    """Conv1d whose weight is ``weight_v * weight_g / ‖weight_v‖`` (norm over all but dim 2)."""

    def __init__(self, channels: int, kernel: int, groups: int):
        super().__init__()
        self.weight_v = nn.Parameter(torch.empty(channels, channels // groups, kernel))
        self.weight_g = nn.Parameter(torch.empty(1, 1, kernel))
        self.bias = nn.Parameter(torch.empty(channels))
        self.groups, self.padding = groups, kernel // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = self.weight_v.norm(dim=(0, 1), keepdim=True)
        weight = self.weight_v * (self.weight_g / norm)
        return F.conv1d(x, weight, self.bias, padding=self.padding, groups=self.groups)


class _PositionalConv(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        self.conv = _WeightNormConv(
            c.hidden_size, c.num_conv_pos_embeddings, c.num_conv_pos_embedding_groups
        )
        self.remove = 1 if c.num_conv_pos_embeddings % 2 == 0 else 0
        self.act = _activation(c.feat_extract_activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x.transpose(1, 2))
        if self.remove:
            y = y[:, :, : -self.remove]
        return self.act(y).transpose(1, 2)


class _Attention(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        d = c.hidden_size
        self.heads = c.num_attention_heads
        self.q_proj, self.k_proj = nn.Linear(d, d), nn.Linear(d, d)
        self.v_proj, self.out_proj = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        out = F.scaled_dot_product_attention(
            split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x)), attn_mask=mask
        )
        return self.out_proj(out.transpose(1, 2).reshape(b, t, d))


class _FeedForward(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        self.intermediate_dense = nn.Linear(c.hidden_size, c.intermediate_size)
        self.output_dense = nn.Linear(c.intermediate_size, c.hidden_size)
        self.act = _activation(c.hidden_act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output_dense(self.act(self.intermediate_dense(x)))


class _Layer(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        self.pre_norm = c.do_stable_layer_norm
        self.attention = _Attention(c)
        self.layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.feed_forward = _FeedForward(c)
        self.final_layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if self.pre_norm:
            x = x + self.attention(self.layer_norm(x), mask)
            return x + self.feed_forward(self.final_layer_norm(x))
        x = self.layer_norm(x + self.attention(x, mask))
        return self.final_layer_norm(x + self.feed_forward(x))


class _Encoder(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        self.pre_norm = c.do_stable_layer_norm
        self.pos_conv_embed = _PositionalConv(c)
        self.layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.layers = nn.ModuleList(_Layer(c) for _ in range(c.num_hidden_layers))

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None):
        mask = None
        if attention_mask is not None:
            x = x * attention_mask[..., None]
            mask = attention_mask[:, None, None, :].to(torch.bool)
        x = x + self.pos_conv_embed(x)
        if not self.pre_norm:
            x = self.layer_norm(x)
        for layer in self.layers:
            x = layer(x, mask)
        if self.pre_norm:
            x = self.layer_norm(x)
        return SimpleNamespace(last_hidden_state=x)


class LiteWav2Vec2Model(nn.Module):
    """Eval-mode ``Wav2Vec2Model`` stand-in: same submodule names, same state dict, plain torch."""

    def __init__(self, hf_config: dict[str, Any]):
        super().__init__()
        defaults = dict(
            feat_extract_activation="gelu",
            hidden_act="gelu",
            layer_norm_eps=1e-5,
            conv_bias=False,
            feat_extract_norm="group",
            do_stable_layer_norm=False,
            mask_time_prob=0.05,
            mask_feature_prob=0.0,
            add_adapter=False,
            adapter_attn_dim=None,
        )
        c = SimpleNamespace(**{**defaults, **hf_config})
        if c.add_adapter or c.adapter_attn_dim is not None:
            raise ValueError("wav2vec 2.0 adapters are not supported by the lite encoder")
        self.config = c
        self.feature_extractor = _FeatureEncoder(c)
        self.feature_projection = _FeatureProjection(c)
        if c.mask_time_prob > 0 or c.mask_feature_prob > 0:
            self.masked_spec_embed = nn.Parameter(torch.empty(c.hidden_size))
        self.encoder = _Encoder(c)
        self.requires_grad_(False)
        self.eval()

    def freeze_feature_encoder(self) -> None:
        """Everything is frozen already: the lite encoder does not train."""

    def _mask_hidden_states(self, hidden_states, mask_time_indices=None, attention_mask=None):
        return hidden_states  # SpecAugment only acts in training
