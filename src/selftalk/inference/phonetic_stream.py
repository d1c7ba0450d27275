"""Incremental inference for an animator that hears phonemes: audio in, frames out as soon as
they are decided, in bounded memory. Offline inference is the same machinery fed at once.

The animator's receptive field is bounded (causal convolutions reading ``lookahead`` frames
late, a causal attention band, a window of recognizer context), so every frame depends on a
bounded stretch of audio and can be computed from a buffer that forgets the rest:

- :class:`EarsStream`: 16 kHz samples → 50 Hz phonetic features (posteriors + prosody),
  ``core`` frames at a time, each once its right context has arrived;
- :class:`MotionStream`: features → mesh frames, each once the features it depends on exist;
- :class:`PhonemeStreamSession`: both, with the ``push``/``flush`` interface of a stream.

With the recognizer's offline core, a stream hears exactly what a file hears and the motion
is the same to float rounding; with a smaller core (less latency) each frame's window differs,
and so does the motion, by the tolerance benchmarks/stream.py measures.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from selftalk.config import SAMPLE_RATE
from selftalk.models.phoneme_recognizer import make_features
from selftalk.models.phonetic_encoder import AUDIO_RATE, EncoderStream, resample_to_mesh
from selftalk.models.prosody import HOP, frame_count, prosody_features


class EarsStream:
    """Samples in, phonetic features (k, F) out, ``core`` frames at a time."""

    def __init__(
        self,
        model,
        *,
        core: int | None = None,
        contexts: tuple[int, int] | None = None,
        phase: int = 0,
    ):
        self.recognizer = model.ears
        self.prosody = model.config.animator.prosody
        config = self.recognizer.config
        self.core = core or config.core
        self.batch = max(self.core, config.core)  # most frames one window decides
        self.left, self.right = contexts or (config.left_context, config.right_context)
        if not 0 <= phase < self.core:
            raise ValueError(f"phase must lie in [0, {self.core}), got {phase}")
        self.phase = phase  # cores end where (frame index + phase) % core == 0
        self.audio = np.zeros(0, np.float32)  # samples from frame ``origin``'s centre on
        self.origin = 0
        self.decided = 0  # frames handed out

    @property
    def lookahead(self) -> float:
        """Seconds of audio a frame waits for: the right context plus half a frame."""
        return (self.right + 0.5) * HOP / SAMPLE_RATE

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Samples in; the features of every whole core now decidable out. Whole cores that
        are ready together (a long chunk, a stream catching up) share one window of at most
        the offline core: each frame hears at least as much, and the left context is heard
        once, so a loaded server spends less per second of audio just when it falls behind."""
        self.audio = np.concatenate([self.audio, np.asarray(samples, np.float32).reshape(-1)])
        out = []
        while (count := self._ready()) > 0:
            out.append(self._decide(count, final=False))
        return self._stack(out)

    def _ready(self) -> int:
        """Frames the next window decides: up to the last core boundary whose right context
        has arrived, at most ``batch`` frames on; 0 if no core is whole yet."""
        known = self.origin + len(self.audio) // HOP - self.right  # frames with their context
        end = min(known, self.decided + self.batch)
        end -= (end + self.phase) % self.core
        return max(0, end - self.decided)

    def flush(self) -> np.ndarray:
        total = self.origin + frame_count(len(self.audio))
        out = []
        while self.decided < total:
            out.append(self._decide(min(self.core, total - self.decided), final=True))
        return self._stack(out)

    def _decide(self, count: int, *, final: bool) -> np.ndarray:
        first = self.decided
        log_probs = self.recognizer.window(
            self.audio,
            first,
            count,
            final=final,
            origin=self.origin,
            contexts=(self.left, self.right),
        )
        extra = None
        if self.prosody:  # windows centred on 320·k: the buffer starts at frame ``origin``
            extra = prosody_features(self.audio, first - self.origin, count)
        self.decided += count
        self._forget()
        return make_features(log_probs, extra)

    def _forget(self) -> None:
        """Drop samples no future window or prosody frame can reach."""
        keep_from = max(0, self.decided - self.left - 1)
        drop = keep_from - self.origin
        if drop > 0:
            self.audio = self.audio[drop * HOP :]
            self.origin = keep_from

    def _stack(self, parts: list[np.ndarray]) -> np.ndarray:
        width = self.recognizer.vocab_size + (11 if self.prosody else 0)
        return np.concatenate(parts) if parts else np.zeros((0, width), np.float32)


class MotionStream:
    """Phonetic features in, mesh frames (k, V, 3) out, from buffers of bounded length.

    The encoder's convolutions run once per feature frame (:class:`EncoderStream`); its
    hidden states are kept as far back as the decoder's attention band reaches, and each pass
    decodes that band again for the new mesh frames.
    """

    def __init__(self, model, template: np.ndarray, *, chunk: int = 600):
        self.model = model
        self.animator = model.animator
        self.fps = model.config.fps
        self.template = torch.as_tensor(template, dtype=torch.float32, device=model.device)
        anim = model.config.animator
        # each decoder layer attends one band further back: frames that far back are recomputed
        self.window = anim.attention_window * anim.decoder_layers
        self.encoder = EncoderStream(self.animator.phonetic)
        self.chunk = chunk  # mesh frames a pass, so that memory stays bounded offline too
        self.hidden = self.encoder.empty()  # (1, n, D) 50 Hz hidden states from ``origin``
        self.origin = 0  # global index of the first buffered hidden frame
        self.known = -model.config.animator.lookahead  # hidden frames computed (may start < 0)
        self.count = 0  # feature frames received
        self.emitted = 0  # mesh frames handed out

    def _needs(self, frame: int) -> int:
        """Hidden frames that mesh frame ``frame`` needs to exist (exclusive end)."""
        return math.floor(frame * AUDIO_RATE / self.fps + 1e-9) + 2

    def push(self, features: np.ndarray) -> np.ndarray:
        if len(features):
            x = torch.as_tensor(np.asarray(features, np.float32), device=self.model.device)
            self._add(self.encoder.push(x[None]))
            self.count += len(features)
        end = self.emitted
        while self._needs(end) <= self.known:
            end += 1
        return self._emit(end)

    def flush(self) -> np.ndarray:
        self._add(self.encoder.finish())
        total = int(self.count / AUDIO_RATE * self.fps)  # as mesh_frame_count does
        return self._emit(total)

    def _add(self, outputs: torch.Tensor) -> None:
        """Keep the stack's outputs (1, n, D) that are hidden frames (index >= 0)."""
        skip = max(0, -self.known)
        self.known += outputs.shape[1]
        if outputs.shape[1] > skip:
            self.hidden = torch.cat([self.hidden, outputs[:, skip:]], dim=1)

    @torch.no_grad()
    def _emit(self, end: int) -> np.ndarray:
        parts = []
        while self.emitted < end:
            stop = min(end, self.emitted + self.chunk)
            parts.append(self._frames(self.emitted, stop))
            self.emitted = stop
            self._forget()
        if not parts:
            return np.zeros((0, *self.template.shape), np.float32)
        return np.concatenate(parts)

    def _frames(self, first: int, stop: int) -> np.ndarray:
        """Mesh frames [first, stop), exact: their decoder band and interpolation reach
        inside the buffer (or the start of the stream)."""
        start_mesh = max(0, first - self.window)
        start = math.floor(start_mesh * AUDIO_RATE / self.fps + 1e-9)
        if start < self.origin:
            raise RuntimeError("the motion stream forgot hidden states it still needs")
        hidden = self.hidden[:, start - self.origin :]
        device = self.model.device
        length = torch.tensor([hidden.shape[1]], device=device)
        frames = torch.tensor([stop - start_mesh], device=device)
        hidden = resample_to_mesh(
            hidden, length, frames, AUDIO_RATE, self.fps, first_frame=start_mesh, first_input=start
        )
        mask = torch.ones(1, hidden.shape[1], dtype=torch.bool, device=device)
        coefficients = self.animator.vertex_head(self.animator.decode(hidden, mask))
        coefficients = coefficients[:, first - start_mesh :]
        if self.animator.basis is not None:
            offsets = self.animator.basis.offsets(coefficients)
        else:
            offsets = coefficients.view(1, coefficients.shape[1], -1, 3)
        return (offsets[0] + self.template).cpu().numpy()

    def _forget(self) -> None:
        start_mesh = max(0, self.emitted - self.window)
        keep_from = math.floor(start_mesh * AUDIO_RATE / self.fps + 1e-9)
        drop = keep_from - self.origin
        if drop > 0:
            self.hidden = self.hidden[:, drop:]
            self.origin = keep_from


class PhonemeStreamSession:
    """A stream of 16 kHz samples → mesh frames, for an animator that hears phonemes.

    ``push(samples)`` returns the frames newly decided, (k, V, 3); ``flush()`` the rest.
    ``core``: recognizer frames decided per window (default: the offline core; smaller
    lowers the latency and costs more recognizer calls); ``contexts``: the recognizer's
    (left, right) context frames instead of the model's (more: closer to offline, more cost;
    right context adds to the latency); ``phase``: the first core is this many frames short,
    so that this stream's passes fall between those of streams that started with it.
    """

    #: seconds of one step of ``phase``: a recognizer frame
    phase_step = 1 / AUDIO_RATE

    def __init__(
        self,
        model,
        template: np.ndarray,
        *,
        core: int | None = None,
        contexts: tuple[int, int] | None = None,
        phase: int = 0,
    ):
        if not model.animator.hears_phonemes:
            raise ValueError("a phoneme stream session needs an animator that hears phonemes")
        self.ears = EarsStream(model, core=core, contexts=contexts, phase=phase)
        self.motion = MotionStream(model, template)
        self.fps = model.config.fps
        anim = model.config.animator
        # a frame waits for the features up to its interpolation partner, the convolutions'
        # look-ahead and the recognizer's right context, and (at worst) for a whole core to fill
        waits = anim.lookahead + 1 + self.ears.core - 1
        self.lookahead = self.ears.lookahead + waits / AUDIO_RATE

    def push(self, samples: np.ndarray) -> np.ndarray:
        return self.motion.push(self.ears.push(samples))

    def flush(self) -> np.ndarray:
        features = self.ears.flush()
        head = self.motion.push(features)
        tail = self.motion.flush()
        return np.concatenate([head, tail]) if len(head) else tail


def predict_phonetic(model, audio: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Offline motion (T, V, 3) of (S,) raw 16 kHz audio: the stream session fed at once."""
    model.eval()
    session = PhonemeStreamSession(model, template)
    head = session.push(audio)
    tail = session.flush()
    return np.concatenate([head, tail]) if len(head) else tail
