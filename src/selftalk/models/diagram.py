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
from selftalk.losses import (
    ctc_loss,
    latent_loss,
    masked_frame_mean,
    reconstruction_loss,
    velocity_loss,
)
from selftalk.models.animator import AnimatorOutput
from selftalk.models.lip_reader import LipReaderOutput
from selftalk.models.recognizer import RecognizerOutput, SpeechRecognizer
from selftalk.models.selftalk import SelfTalk

LOSS_TERMS = ("rec", "vel", "lip", "lat", "ctc", "lat_truth", "ctc_truth")
#: the weight of each term in :class:`~selftalk.config.LossConfig`
WEIGHT_OF = {"lat_truth": "lat", "ctc_truth": "ctc"}


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
        # (with a basis head) per clip: target coefficients and what lies outside the basis
        self._targets: dict[tuple, tuple[torch.Tensor, ...]] = {}

    @property
    def term_names(self) -> tuple[str, ...]:
        """The loss terms :meth:`forward` computes with these weights, in ``LOSS_TERMS`` order."""
        names = {"rec", "vel"} | ({"lip"} if self.weights.lip > 0 else set())
        if self.recognizer is not None:
            names |= {"lat", "ctc"}
            if self.weights.reader_on_truth:
                names |= {"lat_truth", "ctc_truth"}
        return tuple(name for name in LOSS_TERMS if name in names)

    def recognizer_frames(
        self, frame_lengths: torch.Tensor, recognized: RecognizerOutput
    ) -> torch.Tensor:
        """(B,) recognizer frames spanning the same time as each clip's predicted frames."""
        rate = self.model.animator.audio_rate / self.model.config.fps
        span = torch.round(frame_lengths.to(torch.float64) * rate).to(torch.long)
        return torch.minimum(span, recognized.lengths)

    def forward(
        self,
        batch: Batch,
        recognized: RecognizerOutput | None = None,
        heard: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> DiagramOutput:
        """Loss terms of a batch; ``recognized`` may come from a cache instead of the
        recognizer; ``heard`` is what the animator hears and its lengths (default: the batch's
        audio; phonetic features for an animator that hears phonemes)."""
        inputs, input_lengths = heard if heard is not None else (batch.audio, batch.audio_lengths)
        motion = self.model(inputs, batch.templates, input_lengths, batch.frame_lengths)
        lengths = motion.frame_lengths
        per_clip = self._motion_terms(motion, batch)
        if self.weights.lip > 0:
            per_clip["lip"] = self._lip_term(motion, batch)
        lips = None
        if self.recognizer is not None:
            if recognized is None:
                recognized = self.recognizer(batch.audio, batch.audio_lengths)
            rec_lengths = self.recognizer_frames(lengths, recognized)
            reader = self.model.lip_reader
            lips = reader.read(motion.lip_offsets(reader.lip_indices), lengths, rec_lengths)
            per_clip.update(self._reading_terms(lips, recognized, rec_lengths))
            if self.weights.reader_on_truth:  # the reader also reads the real lips
                truth = self._true_lip_offsets(motion, batch)
                real = reader.read(truth, lengths, rec_lengths)
                for name, value in self._reading_terms(real, recognized, rec_lengths).items():
                    per_clip[f"{name}_truth"] = value
        terms = {name: value.mean() for name, value in per_clip.items()}
        loss = sum(
            getattr(self.weights, WEIGHT_OF.get(name, name)) * value
            for name, value in terms.items()
        )
        return DiagramOutput(
            loss=loss,
            terms=terms,
            per_clip=per_clip,
            motion=motion,
            lips=lips,
            recognized=recognized if self.recognizer else None,
        )

    def _true_lip_offsets(self, motion, batch: Batch) -> torch.Tensor:
        """(B, T, L, 3) the true lip vertices' offsets from the template, 0 past each clip."""
        rows = self.model.lip_reader.lip_indices
        truth = batch.vertices[:, : motion.n_frames, rows] - batch.templates[:, None, rows]
        return truth * motion.mask

    def _lip_term(self, motion, batch: Batch) -> torch.Tensor:
        """(B,) mean squared error of the lip vertices' offsets from the template."""
        rows = self.model.lip_reader.lip_indices
        truth = self._true_lip_offsets(motion, batch)
        return reconstruction_loss(motion.lip_offsets(rows), truth, motion.frame_lengths)

    @staticmethod
    def _reading_terms(lips, recognized, rec_lengths) -> dict[str, torch.Tensor]:
        """L_lat and L_ctc of what a lip reader read, (B,) each."""
        labels, label_lengths = recognized.labels(rec_lengths)
        return {
            "lat": latent_loss(lips.latent, recognized.hidden, rec_lengths),
            "ctc": ctc_loss(lips.logits, rec_lengths, labels, label_lengths),
        }

    def _motion_terms(self, motion, batch: Batch) -> dict[str, torch.Tensor]:
        """L_rec and L_vel of a batch, (B,) each: on the vertices, or, with a basis head, on
        the coefficients plus the (cached) part of the target outside the basis, which equals
        the vertex losses exactly."""
        lengths = motion.frame_lengths
        if motion.basis is None:
            target = batch.vertices[:, : motion.vertices.shape[1]]
            return {
                "rec": reconstruction_loss(motion.vertices, target, lengths),
                "vel": velocity_loss(motion.vertices, target, lengths),
            }
        coef, residual, residual_vel = self._basis_targets(motion, batch)
        values = float(batch.vertices.shape[2] * 3)
        error = (motion.coefficients - coef).square().sum(-1) + residual
        rec = masked_frame_mean(error / values, lengths)
        if coef.shape[1] < 2:
            return {"rec": rec, "vel": rec.new_zeros(len(rec))}
        pred_vel = motion.coefficients[:, 1:] - motion.coefficients[:, :-1]
        error = (pred_vel - (coef[:, 1:] - coef[:, :-1])).square().sum(-1) + residual_vel
        vel = masked_frame_mean(error / values, (lengths - 1).clamp(min=0))
        return {"rec": rec, "vel": vel}

    def _basis_targets(self, motion, batch: Batch):
        """(B, T, R) target coefficients, (B, T) and (B, T-1) squared norms of the target's
        offsets and velocities outside the basis; cached per clip while the basis is fixed."""
        basis, frames = motion.basis, motion.coefficients.shape[1]
        rows = []
        for i, name in enumerate(batch.names):
            n = int(batch.frame_lengths[i])
            key = (name, n, basis.basis.data_ptr(), basis.basis._version)
            if key not in self._targets:
                offsets = batch.vertices[i, :n] - batch.templates[i]
                coef = basis.project(offsets)
                flat = offsets.reshape(n, -1) - basis.mean
                outside = (flat.square().sum(-1) - coef.square().sum(-1)).clamp(min=0)
                velocity = flat[1:] - flat[:-1]
                outside_vel = velocity.square().sum(-1) - (coef[1:] - coef[:-1]).square().sum(-1)
                self._targets[key] = (coef, outside, outside_vel.clamp(min=0))
            rows.append(self._targets[key])
        batch_size, rank = len(rows), basis.rank
        coef = motion.coefficients.new_zeros(batch_size, frames, rank)
        outside = motion.coefficients.new_zeros(batch_size, frames)
        outside_vel = motion.coefficients.new_zeros(batch_size, max(frames - 1, 0))
        for i, (c, o, v) in enumerate(rows):
            m = min(len(c), frames)
            coef[i, :m], outside[i, :m] = c[:m], o[:m]
            outside_vel[i, : max(m - 1, 0)] = v[: max(m - 1, 0)]
        return coef, outside, outside_vel
