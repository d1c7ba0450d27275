"""The lip-reading interpreter: reads text back from the predicted lip motion (paper §3.4).

Lip vertices of the predicted offsets → linear map to the recognizer's width → linear
resampling to the recognizer's frame count → transformer → text head over the recognizer's
vocabulary. Its features meet the recognizer's hidden states in the latent loss and its
logits meet the recognizer's transcript in the CTC loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from selftalk.config import LipReaderConfig
from selftalk.models.frames import interpolate_frames, lengths_to_mask


@dataclass
class LipReaderOutput:
    """Attributes:
    features: (B, T_r, W) lip features at the recognizer's frame rate.
    logits: (B, T_r, U) text logits.
    lengths: (B,) valid frames per clip.
    """

    features: torch.Tensor
    logits: torch.Tensor
    lengths: torch.Tensor


class LipReadingInterpreter(nn.Module):
    """Offsets (B, T, V, 3) at the mesh rate → features and logits (B, T_r, ·) at the audio rate."""

    def __init__(self, config: LipReaderConfig, lip_indices: torch.Tensor):
        super().__init__()
        self.config = config
        self.register_buffer("lip_indices", torch.as_tensor(lip_indices, dtype=torch.long))
        self.lip_map = nn.Linear(len(lip_indices) * 3, config.width)
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
        self.text_head = nn.Linear(config.width, config.vocab_size)

    def forward(
        self, offsets: torch.Tensor, frame_lengths: torch.Tensor, target_lengths: torch.Tensor
    ) -> LipReaderOutput:
        """Read lips.

        Args:
            offsets: (B, T, V, 3) predicted displacements from the template.
            frame_lengths: (B,) valid mesh frames.
            target_lengths: (B,) recognizer frames to produce for each clip.
        """
        lips = offsets[:, :, self.lip_indices].flatten(2)
        features = interpolate_frames(self.lip_map(lips), frame_lengths, target_lengths)
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
        return LipReaderOutput(
            features=features, logits=self.text_head(features), lengths=target_lengths
        )
