"""The lip-reading interpreter: reads text back from the predicted lip motion (paper §3.4).

Lip vertices of the predicted offsets → linear map to the recognizer's width → (optional
temporal convolutions) → linear resampling to the recognizer's frame count → transformer →
text head over the recognizer's vocabulary. Its features (or, with ``latent: posteriors``, a
distribution over the reading vocabulary) meet the recognizer's hidden states (or frame
posteriors) in the latent loss, and its logits meet the recognizer's transcript in the CTC
loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from selftalk.config import LipReaderConfig
from selftalk.models.frames import interpolate_frames, lengths_to_mask


@dataclass
class LipReaderOutput:
    """Attributes:
    features: (B, T_r, W) lip features at the recognizer's frame rate.
    logits: (B, T_r, U) text logits.
    lengths: (B,) valid frames per clip.
    latent: (B, T_r, W) what the latent loss compares: ``features``, or with
        ``latent: posteriors`` (B, T_r, U) probabilities of a second head.
    """

    features: torch.Tensor
    logits: torch.Tensor
    lengths: torch.Tensor
    latent: torch.Tensor


class LipReadingInterpreter(nn.Module):
    """Offsets (B, T, V, 3) at the mesh rate → features and logits (B, T_r, ·) at the audio rate."""

    def __init__(self, config: LipReaderConfig, lip_indices: torch.Tensor):
        super().__init__()
        self.config = config
        self.register_buffer("lip_indices", torch.as_tensor(lip_indices, dtype=torch.long))
        self.lip_map = nn.Linear(len(lip_indices) * 3, config.width)
        self.convs = nn.ModuleList(
            nn.Conv1d(config.width, config.width, 5, padding=2) for _ in range(config.conv_layers)
        )
        if config.architecture == "encoder":
            layer = nn.TransformerEncoderLayer(
                d_model=config.width,
                nhead=config.num_heads,
                dim_feedforward=config.ff_dim,
                dropout=config.dropout,
                batch_first=True,
            )
            self.transformer = nn.TransformerEncoder(
                layer, num_layers=config.num_layers, enable_nested_tensor=False
            )
        else:
            self.transformer = nn.Transformer(
                d_model=config.width,
                nhead=config.num_heads,
                num_encoder_layers=config.num_layers,
                num_decoder_layers=config.num_layers,
                dim_feedforward=config.ff_dim,
                dropout=config.dropout,
                batch_first=True,
            )
            # padded positions are masked anyway; nested tensors only add a prototype warning
            self.transformer.encoder.enable_nested_tensor = False
            self.transformer.encoder.use_nested_tensor = False
        if config.attention_dropout is not None:
            for module in self.transformer.modules():
                if isinstance(module, nn.MultiheadAttention):
                    module.dropout = config.attention_dropout
        self.text_head = nn.Linear(config.width, config.vocab_size)
        if config.latent == "posteriors":
            self.latent_head = nn.Linear(config.width, config.vocab_size)

    def forward(
        self, offsets: torch.Tensor, frame_lengths: torch.Tensor, target_lengths: torch.Tensor
    ) -> LipReaderOutput:
        """Read lips.

        Args:
            offsets: (B, T, V, 3) predicted displacements from the template.
            frame_lengths: (B,) valid mesh frames.
            target_lengths: (B,) recognizer frames to produce for each clip.
        """
        return self.read(offsets[:, :, self.lip_indices], frame_lengths, target_lengths)

    def read(
        self, lip_offsets: torch.Tensor, frame_lengths: torch.Tensor, target_lengths: torch.Tensor
    ) -> LipReaderOutput:
        """:meth:`forward` on offsets already gathered at the lip vertices, (B, T, n_lip, 3)."""
        lips = self.lip_map(lip_offsets.flatten(2) / self.config.offset_scale)
        if self.convs:
            valid = lengths_to_mask(frame_lengths, lips.shape[1])[..., None]
            for conv in self.convs:  # zero padding at both ends, whatever the batch's padding
                lips = lips + F.gelu(conv((lips * valid).transpose(1, 2))).transpose(1, 2)
            lips = lips * valid
        features = interpolate_frames(lips, frame_lengths, target_lengths)
        mask = lengths_to_mask(target_lengths, features.shape[1])
        padding = None if bool(mask.all()) else ~mask
        if self.config.architecture == "encoder":
            features = self.transformer(features, src_key_padding_mask=padding)
        else:
            features = self.transformer(
                features,
                features,
                src_key_padding_mask=padding,
                tgt_key_padding_mask=padding,
                memory_key_padding_mask=padding,
            )
        features = features * mask[..., None]
        latent = features
        if self.config.latent == "posteriors":
            latent = self.latent_head(features).softmax(-1) * mask[..., None]
        return LipReaderOutput(
            features=features,
            logits=self.text_head(features),
            lengths=target_lengths,
            latent=latent,
        )
