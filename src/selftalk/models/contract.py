"""What a model's inference graph takes and gives: the contract an exported model keeps.

Every model that can be exported (``selftalk export-onnx``) or run by another engine says, with
an :class:`InferenceContract`, which module is the graph, what its inputs are (names, dtypes,
shapes with named dynamic axes, meaning), which example inputs trace it, and what the caller
does outside the graph (e.g. normalise the audio, or run a phoneme recognizer to make the
features it takes). The wav2vec 2.0 SelfTalk gives a ``raw_audio`` contract
(:mod:`selftalk.models.raw_audio_graph`); a model whose ears run outside the graph gives a
``features`` contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of the graph.

    Attributes:
        name: the graph's name for it.
        dtype: numpy dtype name (``float32``, ``int64``).
        shape: sizes; a string names a dynamic axis (e.g. ``"samples"``, ``"frames"``).
        description: what it holds, in words (units, normalisation).
    """

    name: str
    dtype: str
    shape: tuple[int | str, ...]
    description: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "shape": list(self.shape),
            "description": self.description,
        }


def template_spec(n_vertices: int) -> TensorSpec:
    """The ``template`` input every contract shares: the neutral face (V, 3)."""
    return TensorSpec(
        "template", "float32", (n_vertices, 3), "the neutral face the motion is added to"
    )


def vertices_spec(n_vertices: int, fps: float, note: str = "") -> TensorSpec:
    """The ``vertices`` output every contract shares: (frames, V, 3) at ``fps``."""
    description = f"template + predicted offsets, {fps:g} frames a second" + note
    return TensorSpec("vertices", "float32", ("frames", n_vertices, 3), description)


@dataclass
class InferenceContract:
    """The inference graph of a model and how to feed it (one clip at a time, no batch axis
    beyond the ones ``inputs`` show).

    Attributes:
        kind: ``raw_audio`` (the graph hears audio) or ``features`` (something outside the
            graph turns audio into its input features).
        graph: module whose ``forward(*inputs)`` returns the outputs, in eval mode.
        inputs: what ``graph`` takes, in order.
        outputs: what it returns, in order.
        example_inputs: tensors to trace it with, one for each input.
        fps: mesh frames per second of the output.
        outside: what runs outside the graph, in words (how a user prepares the inputs).
        sample_rate: audio samples per second the caller starts from.
        min_samples: shortest audio (samples) the graph handles.
        extra: more facts for the sidecar (e.g. the normalisation's epsilon, the recipe of
            the features).
        prepare: (S,) raw 16 kHz audio → the graph's first input, with its batch axis (what
            the caller does outside the graph, done in Python; parity checks use it).
    """

    kind: str
    graph: nn.Module
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    example_inputs: tuple[torch.Tensor, ...]
    fps: float
    outside: str
    sample_rate: int = 16_000
    min_samples: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    prepare: Callable[[Any], torch.Tensor] | None = None

    @property
    def input_names(self) -> list[str]:
        return [spec.name for spec in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [spec.name for spec in self.outputs]

    def dynamic_axes(self) -> dict[str, dict[int, str]]:
        """{input name: {axis: symbol}} for every named axis of the inputs."""
        return {
            spec.name: {i: s for i, s in enumerate(spec.shape) if isinstance(s, str)}
            for spec in self.inputs
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "inputs": [spec.to_json() for spec in self.inputs],
            "outputs": [spec.to_json() for spec in self.outputs],
            "fps": self.fps,
            "sample_rate": self.sample_rate,
            "min_samples": self.min_samples,
            "outside_graph": self.outside,
            **self.extra,
        }
