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
from selftalk.checks import finite_array, non_negative, positive
from selftalk.errors import ConfigError, InputError
from selftalk.models.selftalk import SelfTalk
from selftalk.models.smoothing import smooth_motion


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
    if model.animator.hears_phonemes:  # its animator counts the recognizer's 50 Hz frames
        from selftalk.models.prosody import frame_count

        n_samples = frame_count(n_samples)
    lengths = model.animator.default_frame_lengths(torch.tensor([n_samples]))
    return int(lengths[0])


def _torch_features_engine(model: SelfTalk) -> Callable:
    """features (T, F), template (V, 3) → vertices (T', V, 3) with the model in torch."""

    def run(features: np.ndarray, template: np.ndarray) -> torch.Tensor:
        return model.predict(torch.from_numpy(features), torch.as_tensor(template).float())

    return run


def min_samples(model: SelfTalk) -> int:
    """The fewest samples of audio the model turns into at least one frame."""
    low, high = 1, SAMPLE_RATE
    while total_frames(model, high) < 1:  # a very slow frame rate: look further
        low, high = high, high * 2
    while low < high:  # frame counts grow with the sample count: bisect
        middle = (low + high) // 2
        low, high = (middle + 1, high) if total_frames(model, middle) < 1 else (low, middle)
    return low


def available_memory() -> int | None:
    """Bytes of memory the system can give (``MemAvailable``), or None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def motion_bytes_per_second(model: SelfTalk) -> float:
    """Memory one second of audio takes in :func:`predict_motion`: the (T, V, 3) float32
    motion and its frame weights, and the audio (raw, normalised, on the model's device).
    An animator that hears phonemes holds the motion twice at the end (the stream's blocks
    of frames and their concatenation)."""
    config = model.config
    copies = 2 if model.animator.hears_phonemes else 1
    return config.fps * (copies * config.n_vertices * 3 * 4 + 4) + SAMPLE_RATE * 4 * 3


def max_audio_seconds(model: SelfTalk, memory: int | None = None) -> tuple[float | None, str]:
    """The longest audio :func:`predict_motion` can animate in the memory available now (80 %
    of it), and the reason to give when audio is longer; (None, "") where memory is unknown."""
    memory = available_memory() if memory is None else memory
    if memory is None:
        return None, ""
    seconds = 0.8 * memory / motion_bytes_per_second(model)
    why = (
        f": its motion would not fit in the {memory / 2**30:.1f} GiB of memory available "
        f"({model.config.n_vertices} vertices at {model.config.fps:g} fps take "
        f"{motion_bytes_per_second(model) * 3600 / 2**30:.1f} GiB an hour); "
        "cut the audio into parts (e.g. ffmpeg -ss START -t 3600)"
    )
    return seconds, why


def check_inputs(
    model: SelfTalk, audio: np.ndarray, template: np.ndarray, source: str = "audio"
) -> None:
    """Raise :class:`InputError` naming ``source`` for audio too short for one frame, and for
    a template that is not (V, 3) finite values on the model's topology."""
    n = model.config.n_vertices
    if np.shape(template) != (n, 3):
        raise InputError("template", f"has shape {np.shape(template)}; the model animates ({n}, 3)")
    finite_array(template, "template", "its vertex positions")
    finite_array(audio, source, "the audio samples")
    longest, why = max_audio_seconds(model)
    if longest is not None and len(audio) > longest * SAMPLE_RATE:
        raise InputError(source, f"the audio lasts {len(audio) / SAMPLE_RATE / 60:.0f} min{why}")
    shortest = min_samples(model)
    if len(audio) < shortest:
        raise InputError(
            source,
            f"the audio lasts {len(audio) / SAMPLE_RATE * 1000:.0f} ms, too short for one frame "
            f"of motion (at least {shortest / SAMPLE_RATE * 1000:.0f} ms)",
        )


@torch.no_grad()
def predict_motion(
    model: SelfTalk,
    audio: np.ndarray,
    template: np.ndarray,
    *,
    window: float = 20.0,
    overlap: float | None = None,
    source: str = "audio",
    engine: Callable | None = None,
) -> np.ndarray:
    """Animate (S,) raw 16 kHz audio on a (V, 3) template → (T, V, 3) float32 vertices.

    ``window`` and ``overlap`` are seconds (``overlap < window``; default ``min(2, window / 2)``);
    ``source`` names the audio in errors (e.g. its path).
    ``engine(samples (S,), template (V, 3)) → (T, V, 3)`` runs one window instead of
    ``model.predict`` (e.g. :class:`selftalk.inference.onnx.OnnxEngine`); for an animator that
    hears phonemes it takes the features (T, F) instead of the samples
    (:mod:`selftalk.inference.phonetic_windows`).

    An animator that hears phonemes has a bounded receptive field: it runs over windows that
    give exactly the whole clip's motion (equal to its stream session fed at once), in memory
    bounded by the window (:mod:`selftalk.inference.phonetic_windows`); ``window`` and
    ``overlap`` concern wav2vec 2.0 animators, whose attention spans the whole window. The
    inputs are checked (:func:`check_inputs`) for both. The motion then passes through the
    model's output low-pass (``model.animator.smoothing``, :mod:`selftalk.models.smoothing`)."""
    window = positive(window, "window")
    overlap = min(2.0, window / 2) if overlap is None else non_negative(overlap, "overlap")
    if overlap >= window:
        raise ConfigError(f"overlap ({overlap:g} s) must be shorter than window ({window:g} s)")
    check_inputs(model, audio, template, str(source))
    model.eval()
    if model.animator.hears_phonemes:  # the ears, then the animator over bounded windows
        from selftalk.inference.phonetic_windows import animate_features, heard_features

        motion = animate_features(
            model, engine or _torch_features_engine(model), heard_features(model, audio), template
        )
    else:
        motion = _predict_windows(model, audio, template, window, overlap, engine)
    return smooth_motion(motion, model.config.animator.smoothing)


def _predict_windows(model, audio, template, window: float, overlap: float, engine) -> np.ndarray:
    """A wav2vec 2.0 animator's motion over overlapping windows, cross-faded."""
    run = engine or model.predict
    device = model.device
    samples = torch.from_numpy(normalize(audio)).to(device)
    template_t = torch.as_tensor(template, dtype=torch.float32, device=device)
    n_total = total_frames(model, len(samples))
    fps = model.config.fps
    period = grid_period(fps, model.animator.hop)
    win = max(period, int(round(window * SAMPLE_RATE / period)) * period)

    lap = max(period, int(round(overlap * SAMPLE_RATE / period)) * period)
    hop = win - lap
    if hop <= 0:  # both rounded to the same grid step
        raise ConfigError(
            f"window ({window:g} s) must exceed overlap ({overlap:g} s) by at least "
            f"{period / SAMPLE_RATE:g} s at {fps:g} fps"
        )
    if len(samples) <= win:
        return _numpy(run(samples, template_t))
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
    out /= weight[:, None, None]  # in place: long audio makes a large motion
    return out


def _numpy(motion) -> np.ndarray:
    if isinstance(motion, torch.Tensor):
        motion = motion.detach().cpu().numpy()
    return np.asarray(motion, np.float32)
