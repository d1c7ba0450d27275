"""The four loss terms of SelfTalk (paper Eq. 12-17) as pure functions over padded batches.

Each returns a (B,) tensor, one value per clip, computed over that clip's valid frames only;
a batch's loss is the mean over its clips, so a padded batch gives exactly the mean of what
its clips give one by one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from selftalk.models.frames import lengths_to_mask


def _masked_mean(squared: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``squared`` (B, T, ...) over valid frames and all trailing dims → (B,)."""
    per_frame = squared.flatten(2).mean(-1) if squared.dim() > 2 else squared
    per_frame = per_frame * mask
    return per_frame.sum(1) / mask.sum(1).clamp(min=1)


def masked_frame_mean(per_frame: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean of (B, T) per-frame values over each clip's first ``lengths`` frames → (B,)."""
    mask = lengths_to_mask(lengths, per_frame.shape[1]).to(per_frame.dtype)
    return _masked_mean(per_frame, mask)


def reconstruction_loss(
    pred: torch.Tensor, target: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """L_rec: mean squared error of vertices; pred/target (B, T, V, 3) → (B,)."""
    mask = lengths_to_mask(lengths, pred.shape[1]).to(pred.dtype)
    return _masked_mean((pred - target).square(), mask)


def velocity_loss(pred: torch.Tensor, target: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """L_vel: MSE of frame-to-frame differences; (B, T, V, 3) → (B,) (0 for one-frame clips)."""
    if pred.shape[1] < 2:
        return pred.new_zeros(pred.shape[0])
    pred_vel = pred[:, 1:] - pred[:, :-1]
    target_vel = target[:, 1:] - target[:, :-1]
    mask = lengths_to_mask((lengths - 1).clamp(min=0), pred_vel.shape[1]).to(pred.dtype)
    return _masked_mean((pred_vel - target_vel).square(), mask)


def latent_loss(
    lip_features: torch.Tensor, speech_features: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """L_lat: MSE between lip-reader features and recognizer hidden states; (B, T, H) → (B,)."""
    mask = lengths_to_mask(lengths, lip_features.shape[1]).to(lip_features.dtype)
    return _masked_mean((lip_features - speech_features[:, : lip_features.shape[1]]).square(), mask)


def ctc_loss(
    logits: torch.Tensor,
    lengths: torch.Tensor,
    labels: torch.Tensor,
    label_lengths: torch.Tensor,
    *,
    blank: int = 0,
) -> torch.Tensor:
    """L_ctc: CTC of lip-reader logits (B, T, U) against labels (B, L) → (B,).

    As ``F.ctc_loss(reduction="mean", zero_infinity=True)`` does per clip: the negative log
    likelihood divided by the label length (at least 1); impossible alignments count 0.
    """
    log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)
    nll = F.ctc_loss(
        log_probs,
        labels,
        lengths,
        label_lengths,
        blank=blank,
        reduction="none",
        zero_infinity=True,
    )
    return nll / label_lengths.clamp(min=1).to(nll.dtype)
