"""The commutative training diagram: what SelfTalk optimises (paper §3.5, Eq. 12).

Audio → animator → motion; motion → lip reader → (features, text logits); audio → frozen
recognizer → (hidden states, transcript). The diagram commutes when the lip reader reads
back from the motion what the recognizer hears in the audio. This module owns the frozen
recognizer and returns the four loss terms by name; the networks know nothing of training.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from selftalk.config import LossConfig
from selftalk.data.batch import Batch
from selftalk.losses import ctc_loss, latent_loss, reconstruction_loss, velocity_loss
from selftalk.models.animator import AnimatorOutput
from selftalk.models.lip_reader import LipReaderOutput
from selftalk.models.recognizer import RecognizerOutput, SpeechRecognizer
from selftalk.models.selftalk import SelfTalk

LOSS_TERMS = ("rec", "vel", "lat", "ctc")


@dataclass
class DiagramOutput:
    """Attributes:
    loss: scalar weighted total (mean over clips).
    terms: unweighted loss terms by name, each a scalar (mean over clips).
    per_clip: unweighted loss terms by name, each (B,).
    motion: the animator's prediction.
    lips: the lip reader's output (None without the diagram).
    recognized: the recognizer's output (None without the diagram).
    """

    loss: torch.Tensor
    terms: dict[str, torch.Tensor]
    per_clip: dict[str, torch.Tensor]
    motion: AnimatorOutput
    lips: LipReaderOutput | None
    recognized: RecognizerOutput | None


class CommutativeDiagram(nn.Module):
    """Trainable :class:`SelfTalk` + frozen :class:`SpeechRecognizer` + loss weights."""

    def __init__(self, model: SelfTalk, recognizer: SpeechRecognizer | None, weights: LossConfig):
        super().__init__()
        if weights.uses_diagram and recognizer is None:
            raise ValueError("the latent and text losses need a speech recognizer")
        self.model = model
        self.recognizer = recognizer if weights.uses_diagram else None
        self.weights = weights

    def recognizer_frames(
        self, frame_lengths: torch.Tensor, recognized: RecognizerOutput
    ) -> torch.Tensor:
        """(B,) recognizer frames spanning the same time as each clip's predicted frames."""
        rate = self.model.animator.audio_rate / self.model.config.fps
        span = torch.round(frame_lengths.to(torch.float64) * rate).to(torch.long)
        return torch.minimum(span, recognized.lengths)

    def forward(self, batch: Batch, recognized: RecognizerOutput | None = None) -> DiagramOutput:
        """Loss terms of a batch; ``recognized`` may come from a cache instead of the recognizer."""
        motion = self.model(batch.audio, batch.templates, batch.audio_lengths, batch.frame_lengths)
        lengths = motion.frame_lengths
        n = motion.vertices.shape[1]
        target = batch.vertices[:, :n]
        per_clip = {
            "rec": reconstruction_loss(motion.vertices, target, lengths),
            "vel": velocity_loss(motion.vertices, target, lengths),
        }
        lips = None
        if self.recognizer is not None:
            if recognized is None:
                recognized = self.recognizer(batch.audio, batch.audio_lengths)
            rec_lengths = self.recognizer_frames(lengths, recognized)
            lips = self.model.lip_reader(motion.offsets, lengths, rec_lengths)
            labels, label_lengths = recognized.labels(rec_lengths)
            per_clip["lat"] = latent_loss(lips.features, recognized.hidden, rec_lengths)
            per_clip["ctc"] = ctc_loss(lips.logits, rec_lengths, labels, label_lengths)
        terms = {name: value.mean() for name, value in per_clip.items()}
        loss = sum(getattr(self.weights, name) * value for name, value in terms.items())
        return DiagramOutput(
            loss=loss,
            terms=terms,
            per_clip=per_clip,
            motion=motion,
            lips=lips,
            recognized=recognized if self.recognizer else None,
        )
