"""The wav2vec 2.0 SelfTalk animator as one exportable graph: normalised audio → vertices.

:class:`RawAudioGraph` computes what :meth:`FacialAnimator.forward` computes for one unpadded
clip (tested equal), written so that ``torch.export`` can trace it with a dynamic audio length:
no Python integers taken from tensors, no per-item loops. The mesh frame count of the
``interpolate*`` alignments is computed in float64 inside the graph, exactly as
:func:`selftalk.models.frames.mesh_frame_count` computes it (``int(n / 50 · 30)``, whose float
rounding gives 122 frames, not 123, for 205 audio frames), so the exported graph makes the same
number of frames as the release for every length.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from selftalk.models.animator import FacialAnimator, attention_band
from selftalk.models.contract import InferenceContract, TensorSpec, template_spec, vertices_spec

NORMALISATION_EPS = 1e-7
"""The wav2vec 2.0 processor's epsilon: (x - mean) / sqrt(var + 1e-7) over the whole clip."""


class RawAudioGraph(nn.Module):
    """audio (1, S) normalised 16 kHz, template (V, 3) → vertices (T, V, 3)."""

    def __init__(self, animator: FacialAnimator):
        super().__init__()
        self.animator = animator
        self.alignment = animator.config.animator.alignment
        self.fps = float(animator.config.fps)

    def _frames(self, n_audio_frames: int) -> int:
        frames = traced_frame_count(n_audio_frames, self.animator.audio_rate, self.fps)
        torch._check(frames > 1)  # align_corners resampling needs two output frames
        return frames

    @staticmethod
    def _resample(x: torch.Tensor, frames: int) -> torch.Tensor:
        """(1, N, C) → (1, frames, C), linear with ``align_corners=True``."""
        return F.interpolate(
            x.transpose(1, 2), size=frames, mode="linear", align_corners=True
        ).transpose(1, 2)

    def forward(self, audio: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        animator = self.animator
        encoder = animator.audio_encoder
        hidden = encoder.feature_extractor(audio).transpose(1, 2)
        if self.alignment == "interpolate_cnn":
            hidden = self._resample(hidden, self._frames(hidden.shape[1]))
        hidden = encoder.feature_projection(hidden)[0]
        hidden = encoder.encoder(hidden).last_hidden_state
        if self.alignment == "interpolate":
            hidden = self._resample(hidden, self._frames(hidden.shape[1]))
        elif self.alignment == "stack":
            groups = hidden.shape[1] // animator.stack
            hidden = hidden[:, : groups * animator.stack].reshape(
                1, groups, hidden.shape[2] * animator.stack
            )
        return decode_vertices(animator, animator.audio_feature_map(hidden), template)


def traced_frame_count(n_audio_frames: int, audio_rate: float, fps: float) -> int:
    """Mesh frames for ``n`` audio frames, ``int(n / audio_rate * fps)`` computed in float64
    inside a traced graph (:func:`selftalk.models.frames.mesh_frame_count`'s rounding)."""
    n = torch.tensor(n_audio_frames, dtype=torch.float64)
    return torch.floor(n / float(audio_rate) * float(fps)).to(torch.int64).item()


def decode_vertices(
    animator: FacialAnimator, hidden: torch.Tensor, template: torch.Tensor
) -> torch.Tensor:
    """The mesh decoder (attention band included) and vertex head of one clip:
    hidden (1, T, D) at the mesh rate, template (V, 3) → vertices (T, V, 3)."""
    band = attention_band(hidden.shape[1], animator.config.animator.attention_window, hidden.device)
    # the band is given as a mask: saying so spares the decoder comparing it with a causal
    # mask, a test on data that torch.export cannot trace
    hidden = animator.decoder(hidden, hidden, tgt_mask=band, memory_mask=band, tgt_is_causal=False)
    head = animator.vertex_head(hidden[0])
    if animator.basis is not None:
        return animator.basis.offsets(head) + template
    return head.reshape(head.shape[0], -1, 3) + template


def min_samples(animator: FacialAnimator) -> int:
    """Fewest samples (a multiple of 80) for which the animator makes two mesh frames."""
    for samples in range(80, 160_000, 80):
        if int(animator.default_frame_lengths(torch.tensor([samples]))[0]) >= 2:
            return samples
    raise ValueError("the audio encoder makes too few frames")


def raw_audio_contract(animator: FacialAnimator, *, seconds: float = 2.0) -> InferenceContract:
    """The contract of a SelfTalk animator whose graph hears audio (wav2vec 2.0 inside)."""
    n_vertices = animator.config.n_vertices
    generator = torch.Generator().manual_seed(0)
    audio = torch.randn(1, int(seconds * 16_000), generator=generator)
    template = torch.zeros(n_vertices, 3)
    return InferenceContract(
        kind="raw_audio",
        graph=RawAudioGraph(animator).eval(),
        inputs=(
            TensorSpec(
                "audio",
                "float32",
                (1, "samples"),
                "mono speech at 16 kHz, normalised over the whole clip to zero mean and unit "
                f"variance: (x - mean) / sqrt(var + {NORMALISATION_EPS:g})",
            ),
            template_spec(n_vertices),
        ),
        outputs=(vertices_spec(n_vertices, animator.config.fps),),
        example_inputs=(audio, template),
        fps=float(animator.config.fps),
        outside="resample the speech to 16 kHz mono and normalise it (see the audio input); "
        "audio longer than about 20 s is best animated in overlapping windows, normalised "
        "once over the whole clip (selftalk predict --engine onnx does this)",
        min_samples=min_samples(animator),
        extra={"normalisation": {"mean": 0.0, "variance": 1.0, "eps": NORMALISATION_EPS}},
        prepare=_normalised,
    )


def _normalised(audio) -> torch.Tensor:
    """(S,) raw audio → (1, S) normalised, as the raw-audio graph takes it."""
    from selftalk.audio import normalize

    return torch.from_numpy(normalize(audio))[None]
