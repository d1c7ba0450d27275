"""The facial animator: speech → per-frame vertex offsets added to a neutral template.

wav2vec 2.0 audio encoder (CNN feature encoder frozen, transformer fine-tuned) → alignment of
its 50 Hz frames to the mesh frame rate → transformer mesh decoder → zero-initialised linear
vertex head (paper §3.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from selftalk.config import SAMPLE_RATE, ModelConfig
from selftalk.models.frames import (
    conv_output_lengths,
    interpolate_frames,
    lengths_to_mask,
    mesh_frame_count,
    stack_factor,
    stack_frames,
)


@dataclass
class AnimatorOutput:
    """Predicted motion of a batch.

    Attributes:
        vertices: (B, T, V, 3) template + offsets; zero beyond each clip's length.
        offsets: (B, T, V, 3) displacement from the template (what the lip reader reads).
        frame_lengths: (B,) valid frames per clip.
    """

    vertices: torch.Tensor
    offsets: torch.Tensor
    frame_lengths: torch.Tensor


class FacialAnimator(nn.Module):
    """Audio (B, S) at 16 kHz + templates (B, V, 3) → motion (B, T, V, 3)."""

    def __init__(self, config: ModelConfig, audio_encoder: nn.Module):
        super().__init__()
        self.config = config
        anim = config.animator
        self.audio_encoder = audio_encoder
        if anim.freeze_feature_encoder:
            self.audio_encoder.freeze_feature_encoder()
        enc = audio_encoder.config  # the loaded encoder's own (a pretrained one's may differ)
        self.hop = math.prod(enc.conv_stride)  # samples per encoder frame
        self.audio_rate = SAMPLE_RATE / self.hop
        self.stack = stack_factor(self.audio_rate, config.fps) if anim.alignment == "stack" else 1
        self.audio_feature_map = nn.Linear(enc.hidden_size * self.stack, anim.feature_dim)
        layer = nn.TransformerDecoderLayer(
            d_model=anim.feature_dim,
            nhead=anim.decoder_heads,
            dim_feedforward=anim.decoder_ff_dim,
            dropout=anim.decoder_dropout,
            batch_first=True,
        )
        self.decoder = nn.TransformerDecoder(layer, num_layers=anim.decoder_layers)
        self.vertex_head = nn.Linear(anim.feature_dim, config.n_vertices * 3)
        nn.init.zeros_(self.vertex_head.weight)
        nn.init.zeros_(self.vertex_head.bias)

    def audio_frame_lengths(self, audio_lengths: torch.Tensor) -> torch.Tensor:
        """(B,) samples → (B,) 50 Hz encoder frames."""
        enc = self.audio_encoder.config
        return conv_output_lengths(audio_lengths, enc.conv_kernel, enc.conv_stride)

    def default_frame_lengths(self, audio_lengths: torch.Tensor) -> torch.Tensor:
        """(B,) mesh frames to predict for (B,) samples when no target length is given."""
        audio_frames = self.audio_frame_lengths(audio_lengths)
        if self.stack > 1:
            return audio_frames // self.stack
        return torch.tensor(
            [mesh_frame_count(int(n), self.audio_rate, self.config.fps) for n in audio_frames],
            device=audio_lengths.device,
        )

    def forward(
        self,
        audio: torch.Tensor,
        templates: torch.Tensor,
        audio_lengths: torch.Tensor | None = None,
        frame_lengths: torch.Tensor | None = None,
    ) -> AnimatorOutput:
        """Animate a batch.

        Args:
            audio: (B, S) normalised 16 kHz speech, zero-padded.
            templates: (B, V, 3) neutral faces.
            audio_lengths: (B,) valid samples; all of ``S`` when omitted.
            frame_lengths: (B,) frames wanted (training: the ground-truth length). Omitted,
                the count follows from the audio duration. With ``stack`` alignment a clip
                gets at most as many frames as its audio has frame groups.
        """
        batch = audio.shape[0]
        if audio_lengths is None:
            audio_lengths = torch.full((batch,), audio.shape[1], device=audio.device)
        if frame_lengths is None:
            frame_lengths = self.default_frame_lengths(audio_lengths)
        features, frame_lengths = self.encode(audio, audio_lengths, frame_lengths.to(audio.device))
        mask = lengths_to_mask(frame_lengths, features.shape[1])
        hidden = self.audio_feature_map(features)
        padding = None if bool(mask.all()) else ~mask
        hidden = self.decoder(
            hidden, hidden, tgt_key_padding_mask=padding, memory_key_padding_mask=padding
        )
        offsets = self.vertex_head(hidden).view(batch, hidden.shape[1], -1, 3)
        offsets = offsets * mask[:, :, None, None]
        vertices = (offsets + templates[:, None]) * mask[:, :, None, None]
        return AnimatorOutput(vertices=vertices, offsets=offsets, frame_lengths=frame_lengths)

    def encode(
        self, audio: torch.Tensor, audio_lengths: torch.Tensor, frame_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Audio → (B, T, C) features at the mesh frame rate and their (B,) lengths."""
        encoder = self.audio_encoder
        alignment = self.config.animator.alignment
        cnn = encoder.feature_extractor(audio).transpose(1, 2)
        lengths = self.audio_frame_lengths(audio_lengths)
        if alignment == "interpolate_cnn":
            cnn = interpolate_frames(cnn, lengths, frame_lengths)
            lengths = frame_lengths
        mask = lengths_to_mask(lengths, cnn.shape[1])
        attention_mask = None if bool(mask.all()) else mask
        hidden, _ = encoder.feature_projection(cnn)
        hidden = encoder._mask_hidden_states(hidden, attention_mask=attention_mask)
        hidden = encoder.encoder(hidden, attention_mask=attention_mask).last_hidden_state
        if alignment == "interpolate":
            hidden = interpolate_frames(hidden, lengths, frame_lengths)
        elif alignment == "stack":
            frame_lengths = torch.minimum(frame_lengths, lengths // self.stack)
            hidden = stack_frames(hidden, self.stack, frame_lengths)
        return hidden, frame_lengths
