"""A padded batch of talking-face clips: what datasets yield and models and trainers take."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch


@dataclass(kw_only=True)
class Batch:
    """B clips, zero-padded to the longest; lengths say how much of each row is real.

    Attributes:
        names: clip names, ``{subject}_{sentence}``.
        subjects: subject of each clip.
        audio: (B, S) float32 speech at 16 kHz, normalised per clip, zero-padded.
        audio_lengths: (B,) int64 valid samples per clip.
        vertices: (B, T, V, 3) float32 ground-truth motion at the model's fps, zero-padded.
        frame_lengths: (B,) int64 valid frames per clip.
        templates: (B, V, 3) float32 neutral face of each clip's subject.
    """

    names: list[str]
    subjects: list[str]
    audio: torch.Tensor
    audio_lengths: torch.Tensor
    vertices: torch.Tensor
    frame_lengths: torch.Tensor
    templates: torch.Tensor

    def __len__(self) -> int:
        return len(self.names)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        """A copy with every tensor moved to ``device``."""
        moved = {
            f.name: getattr(self, f.name).to(device, non_blocking=non_blocking)
            for f in fields(self)
            if isinstance(getattr(self, f.name), torch.Tensor)
        }
        return replace(self, **moved)
