"""Shared by the streaming and serving tests: a tiny random model and speech-like audio."""

import dataclasses
import functools

import numpy as np
import torch

from selftalk.config import tiny
from selftalk.models.selftalk import SelfTalk


def speech(seconds=2.0, seed=0, rate=16_000):
    """Voiced bursts at a syllable rate, with a little noise: (S,) float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    voiced = 0.3 * np.sin(2 * np.pi * 150 * t) * (1 + np.sin(2 * np.pi * 3 * t))
    return (voiced + 0.02 * rng.standard_normal(len(t))).astype(np.float32)


def tiny_model(n_vertices=64, lips=None, seed=0):
    """A tiny random SelfTalk (milliseconds a pass) whose vertex head moves the face."""
    config = dataclasses.replace(
        tiny().model, n_vertices=n_vertices, n_lip_vertices=8 if lips is None else len(lips)
    )
    torch.manual_seed(seed)
    model = SelfTalk(config, torch.arange(8) if lips is None else lips)
    torch.nn.init.normal_(model.animator.vertex_head.weight, std=1e-2)
    return model.eval()


def tiny_head_model(seed=0):
    """A tiny random model on the bundled head (so ARKit weights can be solved)."""
    from selftalk.synth.head import load_head

    head = load_head()
    model = tiny_model(len(head.template), head.regions["lips"], seed)
    torch.nn.init.normal_(model.animator.vertex_head.weight, std=1e-3)
    return model, head.template.astype(np.float32)


@functools.cache
def bundled_frames(seconds: float) -> int:
    """Frames the bundled model's offline prediction makes of ``seconds`` of 16 kHz audio
    (loads the model once a test process and duration)."""
    from selftalk.inference.loading import load_model
    from selftalk.inference.predict import total_frames

    return total_frames(load_model(streaming=True).model, int(round(seconds * 16_000)))
