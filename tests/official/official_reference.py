"""An independent re-implementation of the official SelfTalk ``predict`` in plain torch ops.

It reads the tensors by their names in the *release's* state dict (``audio_encoder.…``,
``transformer_decoder.…``, ``vertice_map_r.…``, ``lip_map.…``, ``transformer.…``,
``lm_head.…``), so a wrong key mapping or a wrong forward in the package shows up as a
difference. Written from the release's behaviour (DESIGN.md §3), not from its code:

- wav2vec 2.0 with layer-normed CNN and pre-norm ("stable layer norm") transformer;
- VOCASET setting: CNN features resampled linearly (align_corners) from 50 Hz to
  ``int(n / 50 * fps)`` frames *before* the feature projection;
- BIWI setting: encoder output frames concatenated in pairs (an odd last frame dropped);
- one post-norm decoder layer called with the audio features as target and memory;
- the lip reader: lip offsets → linear → resampled to ``int(T / fps * 50)`` frames →
  ``nn.Transformer(x, x)`` (post-norm, ReLU, final norms) → text head.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

EPS = 1e-5


def attention(q_in, kv_in, wq, bq, wk, bk, wv, bv, wo, bo, heads):
    """Multi-head scaled dot-product attention of (B, T, E) queries over (B, S, E) keys/values."""
    batch, t, width = q_in.shape
    s, d = kv_in.shape[1], width // heads
    q = F.linear(q_in, wq, bq).view(batch, t, heads, d).transpose(1, 2)
    k = F.linear(kv_in, wk, bk).view(batch, s, heads, d).transpose(1, 2)
    v = F.linear(kv_in, wv, bv).view(batch, s, heads, d).transpose(1, 2)
    weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
    out = (weights @ v).transpose(1, 2).reshape(batch, t, width)
    return F.linear(out, wo, bo)


def torch_mha(sd, prefix, q_in, kv_in, heads):
    """``nn.MultiheadAttention`` weights (packed in_proj) at ``prefix``."""
    w, b = sd[prefix + "in_proj_weight"], sd[prefix + "in_proj_bias"]
    (wq, wk, wv), (bq, bk, bv) = w.chunk(3), b.chunk(3)
    return attention(
        q_in,
        kv_in,
        wq,
        bq,
        wk,
        bk,
        wv,
        bv,
        sd[prefix + "out_proj.weight"],
        sd[prefix + "out_proj.bias"],
        heads,
    )


def layer_norm(sd, prefix, x):
    return F.layer_norm(x, x.shape[-1:], sd[prefix + "weight"], sd[prefix + "bias"], EPS)


def weight_normed(sd, prefix):
    """The positional conv weight from either weight-norm layout (norm over dims 0, 1)."""
    if prefix + "weight_g" in sd:
        g, v = sd[prefix + "weight_g"], sd[prefix + "weight_v"]
    else:
        g = sd[prefix + "parametrizations.weight.original0"]
        v = sd[prefix + "parametrizations.weight.original1"]
    return g * v / v.norm(dim=(0, 1), keepdim=True)


def wav2vec2_cnn(sd, p, audio, strides):
    """(B, S) → (B, T, C) CNN features (conv → layer norm over channels → GELU)."""
    x = audio[:, None]
    for i, stride in enumerate(strides):
        q = f"{p}feature_extractor.conv_layers.{i}."
        x = F.conv1d(x, sd[q + "conv.weight"], sd.get(q + "conv.bias"), stride=stride)
        x = layer_norm(sd, q + "layer_norm.", x.transpose(1, 2)).transpose(1, 2)
        x = F.gelu(x)
    return x.transpose(1, 2)


def wav2vec2_transformer(sd, p, cnn, *, heads, pos_groups):
    """Feature projection + pre-norm transformer: (B, T, C) → (B, T, H)."""
    h = F.linear(
        layer_norm(sd, p + "feature_projection.layer_norm.", cnn),
        sd[p + "feature_projection.projection.weight"],
        sd[p + "feature_projection.projection.bias"],
    )
    q = p + "encoder.pos_conv_embed.conv."
    w = weight_normed(sd, q)
    kernel = w.shape[-1]
    pos = F.conv1d(h.transpose(1, 2), w, sd[q + "bias"], padding=kernel // 2, groups=pos_groups)
    if kernel % 2 == 0:
        pos = pos[:, :, :-1]
    h = h + F.gelu(pos).transpose(1, 2)
    i = 0
    while f"{p}encoder.layers.{i}.layer_norm.weight" in sd:
        q = f"{p}encoder.layers.{i}."
        x = layer_norm(sd, q + "layer_norm.", h)
        a = q + "attention."
        h = h + attention(
            x,
            x,
            sd[a + "q_proj.weight"],
            sd[a + "q_proj.bias"],
            sd[a + "k_proj.weight"],
            sd[a + "k_proj.bias"],
            sd[a + "v_proj.weight"],
            sd[a + "v_proj.bias"],
            sd[a + "out_proj.weight"],
            sd[a + "out_proj.bias"],
            heads,
        )
        x = layer_norm(sd, q + "final_layer_norm.", h)
        f = q + "feed_forward."
        x = F.gelu(
            F.linear(x, sd[f + "intermediate_dense.weight"], sd[f + "intermediate_dense.bias"])
        )
        h = h + F.linear(x, sd[f + "output_dense.weight"], sd[f + "output_dense.bias"])
        i += 1
    return layer_norm(sd, p + "encoder.layer_norm.", h)


def post_norm_encoder_layer(sd, q, x, heads):
    x = layer_norm(sd, q + "norm1.", x + torch_mha(sd, q + "self_attn.", x, x, heads))
    ff = F.linear(
        F.relu(F.linear(x, sd[q + "linear1.weight"], sd[q + "linear1.bias"])),
        sd[q + "linear2.weight"],
        sd[q + "linear2.bias"],
    )
    return layer_norm(sd, q + "norm2.", x + ff)


def post_norm_decoder_layer(sd, q, x, memory, heads):
    x = layer_norm(sd, q + "norm1.", x + torch_mha(sd, q + "self_attn.", x, x, heads))
    x = layer_norm(sd, q + "norm2.", x + torch_mha(sd, q + "multihead_attn.", x, memory, heads))
    ff = F.linear(
        F.relu(F.linear(x, sd[q + "linear1.weight"], sd[q + "linear1.bias"])),
        sd[q + "linear2.weight"],
        sd[q + "linear2.bias"],
    )
    return layer_norm(sd, q + "norm3.", x + ff)


def _count(sd, prefix):
    n = 0
    while f"{prefix}{n}.norm1.weight" in sd:
        n += 1
    return n


@torch.no_grad()
def official_predict(
    sd,
    audio,
    template,
    lips,
    *,
    dataset,
    fps,
    cnn_strides,
    enc_heads,
    pos_groups,
    dec_heads,
    lip_heads,
):
    """The release's ``predict`` for one clip.

    Args:
        sd: the release's state dict (official names).
        audio: (S,) normalised 16 kHz audio.
        template: (V, 3).
        lips: (L,) lip vertex indices.
        dataset: "vocaset" (interpolate CNN features) or "BIWI" (stack pairs).
    Returns:
        vertices (T, V, 3) and lip-reader logits (T_r, U).
    """
    cnn = wav2vec2_cnn(sd, "audio_encoder.", audio[None], cnn_strides)
    if dataset == "vocaset":
        n_out = int(cnn.shape[1] / 50.0 * fps)
        cnn = F.interpolate(
            cnn.transpose(1, 2), size=n_out, mode="linear", align_corners=True
        ).transpose(1, 2)
    h = wav2vec2_transformer(sd, "audio_encoder.", cnn, heads=enc_heads, pos_groups=pos_groups)
    if dataset == "BIWI":
        pairs = h.shape[1] // 2
        h = h[:, : 2 * pairs].reshape(1, pairs, 2 * h.shape[2])
    x = F.linear(h, sd["audio_feature_map.weight"], sd["audio_feature_map.bias"])
    for i in range(_count(sd, "transformer_decoder.layers.")):
        x = post_norm_decoder_layer(sd, f"transformer_decoder.layers.{i}.", x, x, dec_heads)
    offsets = F.linear(x, sd["vertice_map_r.weight"], sd["vertice_map_r.bias"])
    frames = offsets.shape[1]
    offsets = offsets.view(1, frames, -1, 3)
    vertices = offsets + template[None, None]

    lip = F.linear(
        offsets[:, :, lips].reshape(1, frames, -1), sd["lip_map.weight"], sd["lip_map.bias"]
    )
    n_out = int(frames / float(fps) * 50)
    lip = F.interpolate(
        lip.transpose(1, 2), size=n_out, mode="linear", align_corners=True
    ).transpose(1, 2)
    memory = lip
    for i in range(_count(sd, "transformer.encoder.layers.")):
        memory = post_norm_encoder_layer(sd, f"transformer.encoder.layers.{i}.", memory, lip_heads)
    memory = layer_norm(sd, "transformer.encoder.norm.", memory)
    y = lip
    for i in range(_count(sd, "transformer.decoder.layers.")):
        y = post_norm_decoder_layer(sd, f"transformer.decoder.layers.{i}.", y, memory, lip_heads)
    y = layer_norm(sd, "transformer.decoder.norm.", y)
    logits = F.linear(y, sd["lm_head.weight"], sd["lm_head.bias"])
    return vertices[0], logits[0]
