"""Offline motion of an animator that hears phonemes through another engine (ONNX Runtime,
int8...): the features heard as :func:`~selftalk.inference.phonetic_stream.predict_phonetic`
hears them, then the animator's graph over windows that overlap by its receptive field.

The graph (:class:`~selftalk.models.features_graph.FeaturesGraph`) animates a whole stretch
of features from frame 0. Each window starts on a feature frame that is also a mesh-frame
instant (a multiple of ``grid`` frames), early enough that the frames it keeps see only real
features (the convolutions' field before, the decoder's band × layers) and long enough that
they see their look-ahead: so the kept frames equal the whole clip's, to float rounding,
and memory stays bounded by the window.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from selftalk.models.frames import mesh_frame_count
from selftalk.models.phonetic_encoder import AUDIO_RATE

Engine = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""features (T, F), template (V, 3) → vertices (int(T / 50 · fps), V, 3)."""


def heard_features(model, audio: np.ndarray) -> np.ndarray:
    """(T, F) features of (S,) raw 16 kHz audio, exactly as the torch path hears them
    (the ears' stream fed at once)."""
    from selftalk.inference.phonetic_stream import EarsStream

    ears = EarsStream(model)
    head = ears.push(audio)
    return np.concatenate([head, ears.flush()])


def animate_features(
    model, run: Engine, features: np.ndarray, template: np.ndarray, *, chunk: int = 600
) -> np.ndarray:
    """Vertices (T', V, 3) of (T, F) features through ``run``, ``chunk`` mesh frames kept a
    window (the whole clip in one call when it is no longer)."""
    fps = float(model.config.fps)
    anim = model.config.animator
    n = len(features)
    total = mesh_frame_count(n, AUDIO_RATE, fps)
    reach = anim.attention_window * anim.decoder_layers
    if total <= chunk or anim.attention_window <= 0:  # whole-clip attention: one window
        return _vertices(run(features, template))[:total]
    grid = next(k for k in range(1, 1001) if (k * fps / AUDIO_RATE).is_integer())
    field = model.animator.phonetic.receptive_field
    parts = []
    for first in range(0, total, chunk):
        stop = min(total, first + chunk)
        start_hidden = math.floor(max(0, first - reach) * AUDIO_RATE / fps + 1e-9)
        start = max(0, start_hidden - field) // grid * grid
        end = n
        if stop < total:  # the last kept frame's interpolation partner and its look-ahead
            end = min(n, math.floor((stop - 1) * AUDIO_RATE / fps + 1e-9) + 2 + anim.lookahead)
        while mesh_frame_count(end - start, AUDIO_RATE, fps) < stop - round(
            start * fps / AUDIO_RATE
        ):
            if end < n:
                end += 1
            else:  # float rounding of the frame count at the clip's end
                start -= grid
        offset = round(start * fps / AUDIO_RATE)
        motion = _vertices(run(features[start:end], template))
        parts.append(motion[first - offset : stop - offset])
    return np.concatenate(parts)


def _vertices(motion) -> np.ndarray:
    if hasattr(motion, "detach"):
        motion = motion.detach().cpu().numpy()
    return np.asarray(motion, np.float32)
