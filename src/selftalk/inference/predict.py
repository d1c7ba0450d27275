"""Motion for audio of any length: the animator alone, over overlapping windows.

wav2vec 2.0 attends over the whole clip, so memory grows with the square of its length.
Long audio is cut into windows of ``window`` seconds that overlap by ``overlap`` seconds;
each window is animated on its own and neighbours are cross-faded linearly over the overlap.
Window starts fall on instants that are whole numbers of both audio frames (20 ms) and mesh
frames, so every window's frames land exactly on the global frame grid.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from selftalk.audio import SAMPLE_RATE, normalize
from selftalk.models.selftalk import SelfTalk


def grid_period(fps: float, hop: int, rate: int = SAMPLE_RATE) -> int:
    """Smallest sample count that is a whole number of audio hops (samples per encoder frame,
    from the encoder's config: ``FacialAnimator.hop``) and of mesh frames."""
    for frames in range(1, 1001):
        samples = frames * rate / fps
        if abs(samples - round(samples)) < 1e-6 and round(samples) % hop == 0:
            return int(round(samples))
    return hop  # irrational-looking fps: fall back to audio hops (frames may be off by < 1)


def total_frames(model: SelfTalk, n_samples: int) -> int:
    """Frames the model makes of ``n_samples`` of audio in one pass."""
    lengths = model.animator.default_frame_lengths(torch.tensor([n_samples]))
    return int(lengths[0])


def _torch_features_engine(model: SelfTalk) -> Callable:
    """features (T, F), template (V, 3) → vertices (T', V, 3) with the model in torch."""

    def run(features: np.ndarray, template: np.ndarray) -> torch.Tensor:
        return model.predict(torch.from_numpy(features), torch.as_tensor(template).float())

    return run


@torch.no_grad()
def predict_motion(
    model: SelfTalk,
    audio: np.ndarray,
    template: np.ndarray,
    *,
    window: float = 20.0,
    overlap: float = 2.0,
    engine: Callable | None = None,
) -> np.ndarray:
    """Animate (S,) raw 16 kHz audio on a (V, 3) template → (T, V, 3) float32 vertices.

    ``engine(samples (S,), template (V, 3)) → (T, V, 3)`` runs one window instead of
    ``model.predict`` (e.g. :class:`selftalk.inference.onnx.OnnxEngine`); for an animator that
    hears phonemes it takes the features (T, F) instead of the samples
    (:mod:`selftalk.inference.phonetic_windows`).

    An animator that hears phonemes has a bounded receptive field: it runs over windows that
    give exactly the whole clip's motion (equal to its stream session fed at once), in memory
    bounded by the window (:mod:`selftalk.inference.phonetic_windows`); ``window`` and
    ``overlap`` concern wav2vec 2.0 animators, whose attention spans the whole window."""
    if model.animator.hears_phonemes:  # the ears, then the animator over bounded windows
        from selftalk.inference.phonetic_windows import animate_features, heard_features

        model.eval()
        return animate_features(
            model, engine or _torch_features_engine(model), heard_features(model, audio), template
        )
    model.eval()
    run = engine or model.predict
    device = model.device
    samples = torch.from_numpy(normalize(audio)).to(device)
    template_t = torch.as_tensor(template, dtype=torch.float32, device=device)
    n_total = total_frames(model, len(samples))
    fps = model.config.fps
    period = grid_period(fps, model.animator.hop)
    win = max(period, int(round(window * SAMPLE_RATE / period)) * period)
    if len(samples) <= win:
        return _numpy(run(samples, template_t))
    lap = max(period, int(round(overlap * SAMPLE_RATE / period)) * period)
    hop = win - lap
    out = np.zeros((n_total, *template.shape), np.float32)
    weight = np.zeros(n_total, np.float32)
    lap_frames = lap * fps / SAMPLE_RATE
    starts = list(range(0, max(1, len(samples) - lap), hop))
    for k, start in enumerate(starts):
        chunk = samples[start : start + win]
        motion = _numpy(run(chunk, template_t))
        first = int(round(start * fps / SAMPLE_RATE))
        n = min(len(motion), n_total - first)
        if n <= 0:
            continue
        w = np.ones(n, np.float32)
        if k > 0:  # fade in over the overlap with the previous window
            w = np.minimum(w, (np.arange(n) + 0.5) / lap_frames)
        if k < len(starts) - 1:  # fade out over the overlap with the next one
            w = np.minimum(w, (len(motion) - np.arange(n) - 0.5) / lap_frames)
        w = np.clip(w, 1e-6, 1.0)
        out[first : first + n] += w[:, None, None] * motion[:n]
        weight[first : first + n] += w
    missing = weight == 0
    if missing.any():  # frames no window reached (cannot happen with a positive hop)
        weight[missing] = 1.0
        out[missing] = template
    return out / weight[:, None, None]


def _numpy(motion) -> np.ndarray:
    if isinstance(motion, torch.Tensor):
        motion = motion.detach().cpu().numpy()
    return np.asarray(motion, np.float32)
