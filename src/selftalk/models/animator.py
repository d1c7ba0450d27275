"""The facial animator: speech → per-frame vertex offsets added to a neutral template.

wav2vec 2.0 audio encoder (CNN feature encoder frozen, transformer fine-tuned) → alignment of
its 50 Hz frames to the mesh frame rate → transformer mesh decoder → zero-initialised linear
vertex head (paper §3.2). Or, with ``input: phonemes``, the same decoder and head over a
phoneme recognizer's posteriors and prosody (:mod:`selftalk.models.phonetic_encoder`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

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
from selftalk.models.motion_basis import MotionBasis
from selftalk.models.phonetic_encoder import AUDIO_RATE, PhoneticEncoder


@dataclass
class AnimatorOutput:
    """Predicted motion of a batch.

    Attributes:
        frame_lengths: (B,) valid frames per clip.
        templates: (B, V, 3) the neutral faces the offsets are added to.
        coefficients: (B, T, R) with a basis head: the motion in ``basis``; else None.
        basis: the head's :class:`MotionBasis`, or None.
        vertices: (B, T, V, 3) template + offsets; zero beyond each clip's length.
        offsets: (B, T, V, 3) displacement from the template (what the lip reader reads).

    With a basis head, ``offsets`` and ``vertices`` are made only when asked for (training
    reads the coefficients and :meth:`lip_offsets`).
    """

    frame_lengths: torch.Tensor
    templates: torch.Tensor
    coefficients: torch.Tensor | None = None
    basis: MotionBasis | None = None
    linear_offsets: torch.Tensor | None = None

    @property
    def n_frames(self) -> int:
        """T, the padded frame count."""
        return (self.coefficients if self.basis is not None else self.linear_offsets).shape[1]

    @property
    def mask(self) -> torch.Tensor:
        """(B, T, 1, 1) 1.0 on valid frames."""
        valid = lengths_to_mask(self.frame_lengths, self.n_frames)
        return valid[:, :, None, None].to(self.templates.dtype)

    @cached_property
    def offsets(self) -> torch.Tensor:
        if self.basis is None:
            return self.linear_offsets
        return self.basis.offsets(self.coefficients) * self.mask

    @cached_property
    def vertices(self) -> torch.Tensor:
        return (self.offsets + self.templates[:, None]) * self.mask

    def lip_offsets(self, rows: torch.Tensor) -> torch.Tensor:
        """(B, T, n, 3) offsets of vertices ``rows`` (n,), without making the others."""
        if self.basis is None or "offsets" in self.__dict__:
            return self.offsets[:, :, rows]
        return self.basis.offsets(self.coefficients, rows) * self.mask


class FacialAnimator(nn.Module):
    """What it hears + templates (B, V, 3) → motion (B, T, V, 3).

    It hears audio (B, S) at 16 kHz through ``audio_encoder`` (``input: waveform``), or
    phonetic features (B, T, F) at 50 Hz (``input: phonemes``; see
    :class:`~selftalk.models.phoneme_recognizer.PhonemeRecognizer`).
    """

    def __init__(self, config: ModelConfig, audio_encoder: nn.Module | None = None):
        super().__init__()
        self.config = config
        anim = config.animator
        self.stack = 1
        if anim.input == "phonemes":
            self.audio_encoder = None
            self.audio_rate = AUDIO_RATE
            self.hop = round(SAMPLE_RATE / AUDIO_RATE)  # samples per phoneme-feature frame
            self.phonetic = PhoneticEncoder(anim, anim.ears.n_features(anim.prosody), config.fps)
        else:
            if audio_encoder is None:
                raise ValueError("a waveform animator needs its audio encoder")
            self.audio_encoder = audio_encoder
            if anim.freeze_feature_encoder:
                self.audio_encoder.freeze_feature_encoder()
            enc = audio_encoder.config  # the loaded encoder's own (a pretrained one's may differ)
            self.hop = math.prod(enc.conv_stride)  # samples per encoder frame
            self.audio_rate = SAMPLE_RATE / self.hop
            if anim.alignment == "stack":
                self.stack = stack_factor(self.audio_rate, config.fps)
            self.audio_feature_map = nn.Linear(enc.hidden_size * self.stack, anim.feature_dim)
        layer = nn.TransformerDecoderLayer(
            d_model=anim.feature_dim,
            nhead=anim.decoder_heads,
            dim_feedforward=anim.decoder_ff_dim,
            dropout=anim.decoder_dropout,
            batch_first=True,
        )
        self.decoder = nn.TransformerDecoder(layer, num_layers=anim.decoder_layers)
        self.basis = None
        outputs = config.n_vertices * 3
        if anim.head == "basis":
            self.basis = MotionBasis(config.n_vertices, anim.head_rank)
            outputs = anim.head_rank
        self.vertex_head = nn.Linear(anim.feature_dim, outputs)
        nn.init.zeros_(self.vertex_head.weight)
        nn.init.zeros_(self.vertex_head.bias)

    @property
    def hears_phonemes(self) -> bool:
        return self.audio_encoder is None

    def audio_frame_lengths(self, audio_lengths: torch.Tensor) -> torch.Tensor:
        """(B,) samples → (B,) 50 Hz encoder frames (phonetic inputs: already frames)."""
        if self.hears_phonemes:
            return audio_lengths.to(torch.long)
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
            audio: (B, S) normalised 16 kHz speech, zero-padded; with ``input: phonemes``,
                (B, T, F) phonetic features at 50 Hz.
            templates: (B, V, 3) neutral faces.
            audio_lengths: (B,) valid samples (or feature frames); all when omitted.
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
        hidden = features if self.hears_phonemes else self.audio_feature_map(features)
        head = self.vertex_head(self.decode(hidden, mask))
        if self.basis is not None:
            return AnimatorOutput(
                frame_lengths=frame_lengths,
                templates=templates,
                coefficients=head * mask[..., None],
                basis=self.basis,
            )
        offsets = head.view(batch, hidden.shape[1], -1, 3) * mask[:, :, None, None]
        return AnimatorOutput(
            frame_lengths=frame_lengths, templates=templates, linear_offsets=offsets
        )

    def decode(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The mesh decoder over (B, T, D) hidden states with a (B, T) validity mask; with an
        ``attention_window`` each frame attends to that many frames before it and itself."""
        band = attention_band(hidden.shape[1], self.config.animator.attention_window, hidden.device)
        # a causal band keeps valid frames from ever seeing the padding after them; masking
        # the padding too would leave padded frames with nothing to attend to (NaN)
        padding = None if (band is not None or bool(mask.all())) else ~mask
        return self.decoder(
            hidden,
            hidden,
            tgt_mask=band,
            memory_mask=band,
            tgt_key_padding_mask=padding,
            memory_key_padding_mask=padding,
        )

    def encode(
        self, audio: torch.Tensor, audio_lengths: torch.Tensor, frame_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Audio → (B, T, C) features at the mesh frame rate and their (B,) lengths."""
        if self.hears_phonemes:
            return self.phonetic(audio, audio_lengths, frame_lengths), frame_lengths
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


def attention_band(frames: int, window: int, device: torch.device) -> torch.Tensor | None:
    """(T, T) bool mask, True where attention is blocked: frame i sees frames i - window … i.
    None when ``window`` is 0 (the whole clip)."""
    if window <= 0:
        return None
    i = torch.arange(frames, device=device)
    offset = i[:, None] - i[None, :]
    return (offset < 0) | (offset > window)
