"""The speech recognizer: a frozen wav2vec 2.0 CTC model that supervises the lip reader.

It gives, per 20 ms frame, its last hidden states (the latent-consistency target) and logits
whose greedy CTC transcript is the pseudo ground-truth text (paper §3.3).

Unlike the official release, which freezes the parameters but leaves the module in training
mode (so dropout, LayerDrop and SpecAugment masking perturb its targets at every step), this
recognizer is always in eval mode: its outputs are a deterministic function of the audio,
which is also what lets them be cached on disk.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

import torch
from torch import nn

from selftalk.config import SpeechEncoderConfig
from selftalk.models.frames import conv_output_lengths, lengths_to_mask
from selftalk.models.vocab import DELIMITER_ID, greedy_ctc_labels
from selftalk.models.wav2vec2 import build_wav2vec2


@dataclass
class RecognizerOutput:
    """What the frozen recognizer says of a batch.

    Attributes:
        hidden: (B, T, H) last-layer hidden states, zero beyond each clip's length.
        token_ids: (B, T) int64 argmax tokens (the greedy path).
        lengths: (B,) valid frames per clip.
        logits: (B, T, U) or None when loaded from a cache.
        delimiter: the word-delimiter token (trimmed from the transcript's ends), if any.
        merge: join label repeats that a blank separates (a phoneme recognizer read as visemes).
    """

    hidden: torch.Tensor
    token_ids: torch.Tensor
    lengths: torch.Tensor
    logits: torch.Tensor | None = None
    delimiter: int | None = DELIMITER_ID
    merge: bool = False

    def labels(self, lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Greedy CTC pseudo-labels over the first ``lengths`` frames (default: all valid)."""
        lengths = self.lengths if lengths is None else torch.minimum(lengths, self.lengths)
        return greedy_ctc_labels(
            self.token_ids, lengths, delimiter=self.delimiter, merge=self.merge
        )

    def to(self, device: torch.device | str) -> RecognizerOutput:
        move = lambda t: None if t is None else t.to(device)
        return dataclasses.replace(
            self,
            hidden=move(self.hidden),
            token_ids=move(self.token_ids),
            lengths=move(self.lengths),
            logits=move(self.logits),
        )


class SpeechRecognizer(nn.Module):
    """A frozen ``Wav2Vec2ForCTC``, always in eval mode, never receiving gradients."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.model.requires_grad_(False)
        self.model.eval()

    @classmethod
    def from_config(cls, spec: SpeechEncoderConfig) -> SpeechRecognizer:
        """Load ``spec.pretrained`` or build a random network (tests, training from scratch)."""
        return cls(build_wav2vec2(spec, ctc=True))

    def train(self, mode: bool = True) -> SpeechRecognizer:
        """Stays in eval mode whatever is asked: the recognizer is a fixed teacher."""
        return super().train(False)

    @property
    def hidden_size(self) -> int:
        return self.model.config.hidden_size

    @property
    def vocab_size(self) -> int:
        return self.model.config.vocab_size

    def identity(self) -> str:
        """A short hash of the architecture and weights, for cache keys."""
        digest = hashlib.sha256(self.model.config.to_json_string().encode())
        for name, tensor in sorted(self.model.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().to("cpu", torch.float32).numpy().tobytes())
        return digest.hexdigest()[:16]

    def frame_lengths(self, audio_lengths: torch.Tensor) -> torch.Tensor:
        config = self.model.config
        return conv_output_lengths(audio_lengths, config.conv_kernel, config.conv_stride)

    @torch.no_grad()
    def forward(
        self, audio: torch.Tensor, audio_lengths: torch.Tensor | None = None
    ) -> RecognizerOutput:
        """Recognise (B, S) normalised 16 kHz speech (zero-padded to ``audio_lengths``)."""
        batch, samples = audio.shape
        if audio_lengths is None:
            audio_lengths = torch.full((batch,), samples, device=audio.device)
        padded = bool((audio_lengths < samples).any())
        attention_mask = lengths_to_mask(audio_lengths, samples).long() if padded else None
        hidden = self.model.wav2vec2(audio, attention_mask=attention_mask).last_hidden_state
        logits = self.model.lm_head(hidden)
        lengths = self.frame_lengths(audio_lengths).clamp(max=hidden.shape[1])
        mask = lengths_to_mask(lengths, hidden.shape[1])
        hidden = hidden * mask[..., None]
        token_ids = logits.argmax(-1).masked_fill(~mask, 0)
        return RecognizerOutput(hidden=hidden, token_ids=token_ids, lengths=lengths, logits=logits)
