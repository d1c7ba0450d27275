"""Frame arithmetic and alignment between 50 Hz audio features and mesh frames (pure functions).

Audio encoders emit one feature vector every 20 ms; meshes move at 25, 30 or 60 fps. These
functions convert counts and resample feature sequences per item of a padded batch, so a
padded batch gives exactly what its items give one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def conv_output_lengths(
    sample_lengths: torch.Tensor, kernels: Sequence[int], strides: Sequence[int]
) -> torch.Tensor:
    """Frames a wav2vec 2.0 CNN (no padding) makes of (B,) sample counts; (B,) int64."""
    lengths = sample_lengths.to(torch.long)
    for kernel, stride in zip(kernels, strides, strict=True):
        lengths = torch.div(lengths - kernel, stride, rounding_mode="floor") + 1
    return lengths.clamp(min=0)


def mesh_frame_count(n_audio_frames: int, audio_rate: float, fps: float) -> int:
    """Mesh frames for ``n_audio_frames`` of audio features, as SelfTalk's ``predict`` counts them:
    ``int(n / audio_rate * fps)`` (599 frames at 30 fps for 999 frames at 50 Hz)."""
    return int(n_audio_frames / float(audio_rate) * fps)


def lengths_to_mask(lengths: torch.Tensor, max_length: int | None = None) -> torch.Tensor:
    """(B,) lengths → (B, T) bool mask, True on valid positions."""
    max_length = int(lengths.max()) if max_length is None else max_length
    positions = torch.arange(max_length, device=lengths.device)
    return positions[None, :] < lengths[:, None]


def interpolate_frames(
    features: torch.Tensor, lengths: torch.Tensor, out_lengths: torch.Tensor
) -> torch.Tensor:
    """Resample each item linearly (``align_corners=True``) from its length to its new length.

    Args:
        features: (B, T, C) padded sequences.
        lengths: (B,) valid frames of each input row.
        out_lengths: (B,) frames wanted for each row.
    Returns:
        (B, max(out_lengths), C), zero beyond each row's new length.
    """
    batch, _, channels = features.shape
    out = features.new_zeros(batch, int(out_lengths.max()), channels)
    for i in range(batch):
        n_in, n_out = int(lengths[i]), int(out_lengths[i])
        if n_out == 0 or n_in == 0:
            continue
        item = features[i : i + 1, :n_in].transpose(1, 2)
        resampled = F.interpolate(item, size=n_out, mode="linear", align_corners=True)
        out[i, :n_out] = resampled.transpose(1, 2)[0]
    return out


def stack_frames(features: torch.Tensor, factor: int, out_lengths: torch.Tensor) -> torch.Tensor:
    """Concatenate groups of ``factor`` consecutive frames: (B, T, C) → (B, T', C·factor).

    Row i keeps its first ``out_lengths[i]`` groups (each must be complete); an odd frame at the
    end is dropped, as SelfTalk does for BIWI (50 Hz → 25 fps with ``factor=2``).
    """
    batch, frames, channels = features.shape
    groups = frames // factor
    stacked = features[:, : groups * factor].reshape(batch, groups, channels * factor)
    n_out = int(out_lengths.max())
    if n_out > groups:
        raise ValueError(f"asked for {n_out} stacked frames but only {groups} are available")
    mask = lengths_to_mask(out_lengths, n_out)[..., None]
    return stacked[:, :n_out] * mask


def stack_factor(audio_rate: float, fps: float) -> int:
    """Audio frames per mesh frame for ``stack`` alignment; the ratio must be whole."""
    ratio = audio_rate / fps
    if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
        raise ValueError(f"cannot stack {audio_rate:g} Hz audio frames into {fps:g} fps")
    return int(round(ratio))
