"""Stream any model by running its offline prediction over a sliding window of audio.

Every pass animates ``context`` seconds already decided + the new ``block`` + ``lookahead``
seconds, and keeps only the block's frames: those with at least ``lookahead`` seconds of
audio after them (and ``context`` before, once the stream is that old). Samples no later
window needs are dropped, so memory is bounded however long the stream runs.

Windows start on frame boundaries, and their lengths are whole grid periods (at 30 fps,
100 ms: 5 audio hops, 3 frames) plus the encoder's receptive field, so that for models that
resample encoder features to the mesh rate (``interpolate*`` alignments) window frame ``i``
lands exactly on stream frame ``start + i``. Audio is normalised with running moments of everything heard so far (the
offline path normalises the whole clip at once), forgetting over ``normalize_horizon``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from selftalk.audio import SAMPLE_RATE
from selftalk.errors import ConfigError
from selftalk.inference.predict import grid_period


@dataclass(kw_only=True)
class WindowOptions:
    """How :class:`WindowedStreamSession` windows the audio (all in seconds)."""

    context: float = 1.0
    """Audio before the first frame a pass decides (left context), about."""
    lookahead: float = 0.05
    """Least audio after a frame before it is decided (the exact look-ahead of the last frame
    of a pass; the window length rounds it up a little)."""
    block: float = 0.1
    """Frames one pass decides, in seconds (at least one frame). A block of B frames costs
    1/B of one pass a frame, but leaves a faint ripple of period B (the model's output
    depends a little on a frame's place in its window): 1/30 removes it at 3x the cost."""
    normalize_horizon: float = 60.0
    """Time constant of the running mean and variance used to normalise the audio."""
    batch: int = 16
    """Most passes of one push run as one batch (a long push runs many)."""

    def validate(self) -> WindowOptions:
        for name in ("context", "lookahead"):
            if getattr(self, name) < 0:
                raise ConfigError(f"streaming {name} must be non-negative seconds")
        if self.block <= 0:
            raise ConfigError("streaming block must be positive seconds")
        if self.normalize_horizon <= 0:
            raise ConfigError("streaming normalize_horizon must be positive")
        if self.batch < 1:
            raise ConfigError("streaming batch must be at least 1")
        return self


class WindowedStreamSession:
    """A :class:`~selftalk.streaming.session.StreamSession` over a model's offline prediction.

    ``model``: a :class:`~selftalk.models.selftalk.SelfTalk` (exact frame grid) or any module
    with ``predict(audio (S,), template (V, 3)) -> (T, V, 3)`` and ``config.fps``.

    Pass ``j`` always decides frames ``[j B, (j + 1) B)`` from the same window, so the output
    does not depend on how the audio was cut into chunks.
    """

    def __init__(self, model, template: np.ndarray, options: WindowOptions | None = None):
        self.options = (options or WindowOptions()).validate()
        self.window_model = g = WindowModel(model, template)
        self.fps = g.fps
        self._spf = SAMPLE_RATE / g.fps  # samples a frame
        self._block = max(1, round(self.options.block * g.fps))  # frames a pass decides
        self._ahead = int(round(self.options.lookahead * SAMPLE_RATE))
        # A full pass's window: [start, start + span) starting at a frame boundary, span =
        # whole periods + the encoder's receptive field (so the model's frames land exactly
        # on the stream's), reaching the look-ahead after the pass's last frame.
        reach = self.options.context * SAMPLE_RATE + (self._block - 1) * self._spf + self._ahead
        periods = max(1, math.ceil((reach - g.receptive_field) / g.period - 1e-9))
        self._span = periods * g.period + g.receptive_field
        tail = (self._block - 1) * self._spf + self._ahead  # window end past the first frame
        self._context_frames = max(0, math.floor((self._span - tail) / self._spf + 1e-9))
        self._audio = AudioBuffer()
        # what the first frame of a block waits for, at worst (the stream's first windows,
        # which start at sample 0, may reach further than later ones)
        waits = [self._span - self._context_frames * self._spf]
        for first in range(0, self._context_frames + self._block, self._block):
            plan = self._plan(first)
            waits.append(plan.end - first * self._spf)
        self.lookahead = max(waits) / SAMPLE_RATE
        self._moments = RunningMoments(self.options.normalize_horizon * SAMPLE_RATE)
        self.frames_out = 0  # frames emitted so far (index of the next one)
        self.finished = False

    @property
    def samples_in(self) -> int:
        """Samples pushed so far."""
        return self._audio.end

    @property
    def buffered_samples(self) -> int:
        """Samples held: at most the window span plus the last push."""
        return len(self._audio)

    def push(self, samples: np.ndarray) -> np.ndarray:
        if self.finished:
            raise ConfigError("this stream session has been flushed; open a new one")
        samples = np.asarray(samples, np.float32).reshape(-1)
        self._audio.append(samples)
        return self._run_due()

    def flush(self) -> np.ndarray:
        if self.finished:
            return self._stack([])
        out = [self._run_due()]
        received = self._audio.end
        total = self.window_model.total_frames(received)
        self._moments_to(received)
        if total > self.frames_out:  # the tail: one pass up to the end of the audio
            start_frame = self._start_frame(self.frames_out)
            start = self._sample(start_frame)
            plan = _Pass(start, received, start_frame, total - start_frame, self.frames_out, total)
            out.append(self._run([plan]))
        self.finished = True
        self._audio.drop_before(received)
        return self._stack(out)

    # ----------------------------------------------------------------------------------------

    def _sample(self, frame: int) -> int:
        """The sample where frame ``frame`` starts."""
        return int(round(frame * self._spf))

    def _start_frame(self, first: int) -> int:
        return max(0, first - self._context_frames)

    def _plan(self, first: int) -> _Pass:
        """Pass deciding frames [first, first + B): its window."""
        g = self.window_model
        start_frame = self._start_frame(first)
        start = self._sample(start_frame)
        if start_frame > 0:
            end = start + self._span
        else:  # near the start: a shorter window beginning at sample 0
            last = (first + self._block - 1) * self._spf + self._ahead
            periods = max(1, math.ceil((last - g.receptive_field) / g.period - 1e-9))
            end = periods * g.period + g.receptive_field
        n_out = (end - g.receptive_field - start) // g.period * g.period_frames + 1
        return _Pass(start, end, start_frame, n_out, first, first + self._block)

    def _run_due(self) -> np.ndarray:
        """Run every pass whose window has arrived, in batches of equal windows."""
        out, due = [], []
        first = self.frames_out
        while True:
            plan = self._plan(first)
            if plan.end > self._audio.end:
                break
            due.append(plan)
            first = plan.stop
        while due:
            size = due[0].end - due[0].start
            same = [p for p in due[: self.options.batch] if p.end - p.start == size]
            out.append(self._run(same))
            due = due[len(same) :]
        return self._stack(out)

    def _run(self, plans: list[_Pass]) -> np.ndarray:
        g = self.window_model
        windows = []
        for p in plans:  # each window normalised by the moments of the audio up to its end
            self._moments_to(p.end)
            windows.append(self._moments.normalize(self._audio.view(p.start, p.end)))
        frames = g.run(np.stack(windows), plans[0].n_out)
        out = []
        for plan, motion in zip(plans, frames):
            keep = motion[plan.first - plan.start_frame : plan.stop - plan.start_frame]
            short = plan.stop - plan.first - len(keep)
            if short > 0:  # the model made fewer frames than asked (inexact models only)
                last = keep[-1:] if len(keep) else g.template[None]
                keep = np.concatenate([keep, np.repeat(last, short, axis=0)])
            out.append(keep)
            self.frames_out = plan.stop
        self._audio.drop_before(self._sample(self._start_frame(self.frames_out)))
        return np.concatenate(out)

    def _moments_to(self, position: int) -> None:
        """Count samples up to ``position`` into the running moments (once each)."""
        if position > self._moments.position:
            self._moments.add(self._audio.view(self._moments.position, position))

    def _stack(self, parts: list[np.ndarray]) -> np.ndarray:
        parts = [p for p in parts if len(p)]
        if not parts:
            return np.zeros((0, *self.window_model.template.shape), np.float32)
        return np.concatenate(parts).astype(np.float32, copy=False)


@dataclass(frozen=True)
class _Pass:
    """One model pass: audio samples [start, end) from frame ``start_frame`` on, frames asked
    of the model, and the stream's frames [first, stop) it decides."""

    start: int
    end: int
    start_frame: int
    n_out: int
    first: int
    stop: int


class WindowModel:
    """A model seen as a function of an audio window, with its frame grid.

    Attributes:
        period: samples between window starts (whole audio hops and whole mesh frames).
        period_frames: mesh frames in one period.
        receptive_field: samples the audio encoder needs for its first feature.
    """

    def __init__(self, model, template: np.ndarray):
        self.model = model
        if hasattr(model, "eval"):
            model.eval()  # once: sessions in many threads share the model
        self.fps = float(model.config.fps)
        self.template = np.asarray(template, np.float32)
        self._template_t = torch.as_tensor(self.template)
        animator = getattr(model, "animator", None)
        encoder = getattr(getattr(animator, "audio_encoder", None), "config", None)
        if encoder is not None:
            kernels, strides = list(encoder.conv_kernel), list(encoder.conv_stride)
            hop = math.prod(strides)
            field, jump = 1, 1
            for k, s in zip(kernels, strides):
                field += (k - 1) * jump
                jump *= s
        else:
            hop, field = 320, 400
        self.exact = encoder is not None
        self.period = grid_period(self.fps, hop)
        self.period_frames = int(round(self.period * self.fps / SAMPLE_RATE))
        self.receptive_field = field
        self._animator = animator

    def total_frames(self, n_samples: int) -> int:
        """Frames the model makes of ``n_samples`` in one offline pass."""
        from selftalk.inference.predict import total_frames

        if self._animator is None:
            return int(n_samples * self.fps / SAMPLE_RATE)
        return total_frames(self.model, n_samples)

    @torch.inference_mode()
    def run(self, audio: np.ndarray, n_frames: int) -> np.ndarray:
        """Normalised windows (B, S) → (B, T, V, 3) float32 frames, T <= ``n_frames``."""
        model = self.model
        device = getattr(model, "device", torch.device("cpu"))
        x = torch.from_numpy(np.ascontiguousarray(audio, np.float32)).to(device)
        template = self._template_t.to(device)
        if not self.exact:
            return np.stack(
                [model.predict(w, template).float().cpu().numpy()[:n_frames] for w in x]
            )
        batch = len(x)
        out = self._animator(
            x,
            template[None].expand(batch, -1, -1),
            frame_lengths=torch.full((batch,), n_frames, device=device),
        )
        return out.vertices[:, : int(out.frame_lengths[0])].float().cpu().numpy()


class AudioBuffer:
    """A growable float32 buffer over absolute sample positions [start, end)."""

    def __init__(self) -> None:
        self._data = np.zeros(4096, np.float32)
        self._offset = 0  # index of absolute sample `start` in _data
        self._size = 0
        self.start = 0

    @property
    def end(self) -> int:
        return self.start + self._size

    def __len__(self) -> int:
        return self._size

    def append(self, samples: np.ndarray) -> None:
        need = self._offset + self._size + len(samples)
        if need > len(self._data):
            keep = self._data[self._offset : self._offset + self._size]
            capacity = max(len(self._data), 2 * (self._size + len(samples)))
            if capacity > len(self._data):
                self._data = np.zeros(capacity, np.float32)
            self._data[: self._size] = keep
            self._offset = 0
        self._data[self._offset + self._size : self._offset + self._size + len(samples)] = samples
        self._size += len(samples)

    def drop_before(self, position: int) -> None:
        """Forget samples before absolute ``position``."""
        n = min(max(0, position - self.start), self._size)
        self._offset += n
        self._size -= n
        self.start += n
        if self._size == 0:
            self._offset = 0
        if len(self._data) > 65536 and self._size < len(self._data) // 8:  # shrink after a burst
            self._data = np.concatenate(
                [
                    self._data[self._offset : self._offset + self._size],
                    np.zeros(self._size + 4096, np.float32),
                ]
            )
            self._offset = 0

    def view(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end) (absolute); ``start`` must still be held."""
        if start < self.start or end > self.end:
            raise ValueError(f"samples [{start}, {end}) are not held ([{self.start}, {self.end}))")
        i = self._offset + start - self.start
        return self._data[i : i + end - start]


class RunningMoments:
    """Mean and variance of a stream, forgetting with time constant ``horizon`` samples."""

    def __init__(self, horizon: float):
        self.horizon = float(horizon)
        self.weight = 0.0
        self.position = 0  # samples counted
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, samples: np.ndarray) -> None:
        n = len(samples)
        if n == 0:
            return
        self.position += n
        decay = math.exp(-n / self.horizon)
        old = self.weight * decay
        x = samples.astype(np.float64)
        mean_b = float(x.mean())
        m2_b = float(((x - mean_b) ** 2).sum())
        total = old + n
        delta = mean_b - self.mean
        self.mean += delta * n / total
        self.m2 = self.m2 * decay + m2_b + delta * delta * old * n / total
        self.weight = total

    @property
    def variance(self) -> float:
        return self.m2 / self.weight if self.weight else 0.0

    def normalize(self, samples: np.ndarray) -> np.ndarray:
        """Zero mean, unit variance by the running moments (eps 1e-7, as offline)."""
        return ((samples - self.mean) / math.sqrt(self.variance + 1e-7)).astype(np.float32)
