"""The animator's ears when it hears through a phoneme recognizer: per-frame phonetic features
at 50 Hz → a stack of residual dilated causal convolutions → linear resampling to the mesh rate.

Causal convolutions read the features ``lookahead`` frames late, so frame t depends on input
frames t + lookahead and before: a bounded receptive field that lets the animator stream.
Beyond a clip's end (and in the padding of a batch) the last frame is repeated, so a padded
batch gives what its clips give one by one, and a stream's flush what a whole file gives.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from selftalk.config import AnimatorConfig

AUDIO_RATE = 50.0
#: dilations of the convolutions, repeated: 1, 2, 4, 8, 1, 2, …
DILATIONS = (1, 2, 4, 8)


class CausalConvBlock(nn.Module):
    """x + W·GELU(dilated causal conv(LayerNorm(x))); (B, T, D) → (B, T, D)."""

    def __init__(self, width: int, kernel: int, dilation: int, dropout: float):
        super().__init__()
        self.left = (kernel - 1) * dilation
        self.norm = nn.LayerNorm(width)
        self.conv = nn.Conv1d(width, width, kernel, dilation=dilation)
        self.proj = nn.Linear(width, width)
        self.dropout = nn.Dropout(dropout)
        self._taps: tuple | None = None  # (weight identity, tap_weight()) of the last call

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(x).transpose(1, 2)
        h = self.conv(F.pad(h, (self.left, 0))).transpose(1, 2)
        return x + self.dropout(self.proj(F.gelu(h)))

    def tap_weight(self) -> torch.Tensor:
        """The convolution's weight as one matrix (D_out, K·D), tap-major, for :meth:`step`;
        made once and shared by every stream until the weight changes (1.3 MB a block)."""
        weight = self.conv.weight
        key = (weight.data_ptr(), weight._version, weight.dtype)
        if self._taps is None or self._taps[0] != key:
            taps = weight.detach().permute(0, 2, 1).reshape(self.conv.out_channels, -1)
            self._taps = (key, taps.contiguous())
        return self._taps[1]

    def step(
        self, x: torch.Tensor, past: torch.Tensor | None, taps: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The next frames of a stream, (1, n, D) → (1, n, D), given ``past``: the last
        ``left`` normalised inputs (1, D, left), or None at the start (zeros, as ``forward``
        pads), and ``taps``: :meth:`tap_weight`. Returns the outputs and the new past.
        Evaluation only (no dropout)."""
        h = self.norm(x).transpose(1, 2)
        if past is None:
            past = h.new_zeros(1, h.shape[1], self.left)
        h = torch.cat([past, h], dim=2)
        y = x + self.proj(F.gelu(_few_outputs_conv(self.conv, h, taps)))
        return y, h[:, :, h.shape[2] - self.left :]


class PhoneticEncoder(nn.Module):
    """Features (B, T, F) at 50 Hz → hidden states (B, T_mesh, D) at ``fps``."""

    def __init__(self, config: AnimatorConfig, n_features: int, fps: float):
        super().__init__()
        self.fps = fps
        self.lookahead = config.lookahead
        self.input_map = nn.Linear(n_features, config.feature_dim)
        self.blocks = nn.ModuleList(
            CausalConvBlock(
                config.feature_dim,
                config.conv_kernel,
                DILATIONS[i % len(DILATIONS)],
                config.decoder_dropout,
            )
            for i in range(config.conv_layers)
        )

    @property
    def receptive_field(self) -> int:
        """Input frames before a frame that its hidden state depends on."""
        return sum(block.left for block in self.blocks)

    def forward(
        self, features: torch.Tensor, lengths: torch.Tensor, frame_lengths: torch.Tensor
    ) -> torch.Tensor:
        """Encode.

        Args:
            features: (B, T, F) phonetic features, padded.
            lengths: (B,) valid 50 Hz frames.
            frame_lengths: (B,) mesh frames wanted.
        Returns:
            (B, max(frame_lengths), D), zero beyond each clip's frames.
        """
        hidden = self.encode(features, lengths)
        return resample_to_mesh(hidden, lengths, frame_lengths, AUDIO_RATE, self.fps)

    def encode(self, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T, F) → (B, T, D) at 50 Hz; frame t sees input frames ≤ t + lookahead."""
        batch, frames, _ = features.shape
        span = torch.arange(frames + self.lookahead, device=features.device)
        last = (lengths.to(features.device) - 1).clamp(min=0)
        index = torch.minimum(span[None, :], last[:, None])  # repeat each clip's last frame
        extended = torch.gather(features, 1, index[..., None].expand(-1, -1, features.shape[2]))
        x = self.input_map(extended)
        for block in self.blocks:
            x = block(x)
        return x[:, self.lookahead :]


class EncoderStream:
    """The encoder's convolutions fed a stream: input frames in, the stack's outputs at those
    positions out, each computed once. Every block keeps its last ``left`` normalised inputs
    (zeros before the stream starts, as the offline padding), so a pass costs the new frames
    only, not the receptive field again.

    Hidden frame t is the stack's output at input position t + ``lookahead``; at the end of
    a stream, :meth:`finish` feeds ``lookahead`` copies of the last frame, as :meth:`encode`
    repeats it.
    """

    def __init__(self, encoder: PhoneticEncoder):
        self.encoder = encoder
        self.past: list[torch.Tensor | None] = [None] * len(encoder.blocks)
        # reshaped once, not every pass (the copy was 4 % of a stream's CPU)
        self.taps = [block.tap_weight() for block in encoder.blocks]
        self.last: torch.Tensor | None = None  # the latest input frame (1, 1, F)

    @torch.no_grad()
    def push(self, features: torch.Tensor) -> torch.Tensor:
        """(1, n, F) new input frames → (1, n, D) the stack's outputs at their positions."""
        if features.shape[1] == 0:
            return self.empty()
        self.last = features[:, -1:]
        x = self.encoder.input_map(features)
        for i, block in enumerate(self.encoder.blocks):
            x, self.past[i] = block.step(x, self.past[i], self.taps[i])
        return x

    def finish(self) -> torch.Tensor:
        """(1, lookahead, D): the outputs that repeating the last frame gives (none if empty)."""
        if self.last is None or not self.encoder.lookahead:
            return self.empty()
        return self.push(self.last.expand(-1, self.encoder.lookahead, -1))

    def empty(self) -> torch.Tensor:
        """(1, 0, D): no outputs, on the encoder's device."""
        weight = self.encoder.input_map.weight
        return weight.new_zeros(1, 0, weight.shape[0])


def _few_outputs_conv(conv: nn.Conv1d, h: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """``conv(h).transpose(1, 2)`` for (1, C, T) ``h``: (1, T_out, C_out); ``taps``: the
    weight as (C_out, K·C), tap-major (:meth:`CausalConvBlock.tap_weight`).

    A stream's pass asks a few outputs of each convolution, where ``nn.Conv1d`` costs about
    1 ms whatever the length (benchmarks/bench_stream.py); gathering the dilated taps into one
    matrix product costs a tenth of that. Long inputs (offline) keep the convolution."""
    (kernel,), (dilation,) = conv.kernel_size, conv.dilation
    n = h.shape[2] - (kernel - 1) * dilation
    if n > 16:
        return conv(h).transpose(1, 2)
    index = torch.arange(n, device=h.device)[:, None] + dilation * torch.arange(
        kernel, device=h.device
    )
    columns = h[0][:, index].permute(1, 2, 0).reshape(n, -1)  # (n, K·C): tap-major
    return torch.addmm(conv.bias, columns, taps.T)[None]


def resample_to_mesh(
    hidden: torch.Tensor,
    lengths: torch.Tensor,
    frame_lengths: torch.Tensor,
    audio_rate: float,
    fps: float,
    *,
    first_frame: int = 0,
    first_input: int = 0,
) -> torch.Tensor:
    """Linear interpolation in time: mesh frame ``first_frame + j`` (at that index / fps
    seconds) from 50 Hz frames whose first row is frame ``first_input`` (frame k at
    k / audio_rate s); (B, T, D) → (B, max(frame_lengths), D), zero-padded.

    Positions are absolute times, not stretched to fit, so a stretch of a stream resamples
    exactly like the whole file."""
    n_out = int(frame_lengths.max()) if len(frame_lengths) else 0
    device = hidden.device
    j = torch.arange(n_out, device=device, dtype=torch.float64) + first_frame
    position = j * (audio_rate / fps) - first_input
    low = torch.floor(position + 1e-9)
    frac = (position - low).to(hidden.dtype)
    last = (lengths.to(device) - 1).clamp(min=0)[:, None]
    low = low.long()[None, :]
    i0 = torch.minimum(low, last)
    i1 = torch.minimum(low + 1, last)
    width = hidden.shape[2]
    a = torch.gather(hidden, 1, i0[..., None].expand(hidden.shape[0], -1, width))
    b = torch.gather(hidden, 1, i1[..., None].expand(hidden.shape[0], -1, width))
    out = a + (b - a) * frac[None, :, None]
    valid = torch.arange(n_out, device=device)[None, :] < frame_lengths.to(device)[:, None]
    return out * valid[..., None]
