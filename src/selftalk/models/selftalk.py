"""SelfTalk: the trainable model (facial animator + lip-reading interpreter), saved and loaded
as a self-describing directory: ``config.json`` + ``model.safetensors``.

The frozen speech recognizer is not part of it: it belongs to training
(:mod:`selftalk.models.diagram`) and is referenced by the run's configuration, never copied
into every checkpoint. Inference runs the animator alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from selftalk import __version__
from selftalk.config import ModelConfig, from_dict, to_dict
from selftalk.errors import ConfigError, InputError
from selftalk.io import read_json
from selftalk.models.animator import AnimatorOutput, FacialAnimator
from selftalk.models.lip_reader import LipReadingInterpreter
from selftalk.models.wav2vec2 import (
    adapt_weight_norm_keys,
    build_wav2vec2,
    hf_config_dict,
    wav2vec2_from_hf_config,
)

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
FORMAT = "selftalk-model"


class SelfTalk(nn.Module):
    """Facial animator and lip-reading interpreter for one face topology."""

    def __init__(self, config: ModelConfig, lip_indices, *, audio_encoder: nn.Module | None = None):
        """Build a model; ``audio_encoder`` defaults to the one ``config`` describes
        (``from_pretrained`` when it names one, random otherwise)."""
        super().__init__()
        config.validate()
        lip_indices = torch.as_tensor(np.asarray(lip_indices), dtype=torch.long)
        if len(lip_indices) != config.n_lip_vertices:
            raise ValueError(
                f"{len(lip_indices)} lip indices given, the config expects {config.n_lip_vertices}"
            )
        if audio_encoder is None and config.animator.input == "waveform":
            audio_encoder = build_wav2vec2(config.animator.encoder)
        self.config = config
        self.animator = FacialAnimator(config, audio_encoder)
        self.lip_reader = LipReadingInterpreter(config.lip_reader, lip_indices)
        self._ears = None

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(self, audio, templates, audio_lengths=None, frame_lengths=None) -> AnimatorOutput:
        """Animate: see :meth:`FacialAnimator.forward`."""
        return self.animator(audio, templates, audio_lengths, frame_lengths)

    @property
    def ears(self):
        """The phoneme recognizer this model hears through (``input: phonemes``), built once."""
        if self._ears is None:
            from selftalk.models.phoneme_recognizer import PhonemeRecognizer

            self._ears = PhonemeRecognizer(self.config.animator.ears)
        return self._ears

    def hear(self, audio: np.ndarray) -> torch.Tensor:
        """What the animator hears of (S,) 16 kHz audio: the normalised waveform (S,), or the
        phonetic features (T, F) of the raw one."""
        from selftalk.audio import normalize

        if self.config.animator.input == "waveform":
            return torch.from_numpy(normalize(audio))
        return torch.from_numpy(self.ears.features(audio, prosody=self.config.animator.prosody))

    @property
    def streams_natively(self) -> bool:
        """Whether :meth:`stream_session` serves this model (an animator that hears phonemes;
        others stream through :mod:`selftalk.streaming.windowed`)."""
        return self.animator.hears_phonemes

    def stream_session(
        self, template: np.ndarray, *, core: int | None = None, contexts=None, phase: int = 0
    ):
        """A stream of 16 kHz samples → mesh frames (``push``/``flush``), for an animator that
        hears phonemes (:class:`~selftalk.inference.phonetic_stream.PhonemeStreamSession`);
        ``core``: recognizer frames decided at a time (smaller: less latency, more cost);
        ``contexts``: the recognizer's (left, right) context frames, if not the config's;
        ``phase``: recognizer frames the first core is short by (staggers streams' passes).
        Its frames are the animator's own; :func:`selftalk.streaming.open_session` adds the
        output low-pass (``animator.smoothing``) that offline motion has."""
        from selftalk.inference.phonetic_stream import PhonemeStreamSession

        self.eval()
        return PhonemeStreamSession(self, template, core=core, contexts=contexts, phase=phase)

    @torch.no_grad()
    def predict(self, audio: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        """Motion for one clip, animator only: what it hears (:meth:`hear`: audio (S,)
        normalised 16 kHz, or features (T, F)), template (V, 3) → vertices (T, V, 3)."""
        was_training = self.training
        self.eval()
        try:
            out = self.animator(audio[None].to(self.device), template[None].to(self.device))
        finally:
            self.train(was_training)
        return out.vertices[0, : int(out.frame_lengths[0])]

    def inference_contract(self, *, seconds: float = 2.0):
        """The animator as one exportable graph and how to feed it: a ``raw_audio``
        :class:`~selftalk.models.contract.InferenceContract` (wav2vec 2.0 inside the graph) or,
        for an animator that hears phonemes, a ``features`` one (the recognizer outside);
        ``seconds`` of example input. The output low-pass (``animator.smoothing``), if any,
        runs after the graph: the contract says so (``smoothing``: taps and kernel)."""
        if self.animator.hears_phonemes:
            from selftalk.models.features_graph import features_contract

            contract = features_contract(self, seconds=seconds)
            contract.prepare = lambda audio: self.hear(audio)[None]
        else:
            from selftalk.models.raw_audio_graph import raw_audio_contract

            contract = raw_audio_contract(self.animator, seconds=seconds)
        taps = self.config.animator.smoothing
        if taps > 1:
            from selftalk.models.smoothing import binomial_kernel

            kernel = binomial_kernel(taps).tolist()
            contract.extra["smoothing"] = {"taps": taps, "kernel": kernel}
            contract.outside += (
                f"; then filter the output vertices over time with the kernel {kernel} "
                "(each frame the weighted sum of its neighbours, the first and last frames "
                "repeated beyond the clip's ends)"
            )
        return contract

    # ----------------------------------------------------------------------------------------
    # Save / load

    def save_pretrained(
        self, directory: str | Path, *, extra: dict[str, Any] | None = None
    ) -> None:
        """Write ``config.json`` and ``model.safetensors`` (atomically) into ``directory``."""
        from safetensors.torch import save_file

        from selftalk.io import atomic_path, write_json

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}
        with atomic_path(directory / WEIGHTS_NAME) as tmp:
            save_file(state, str(tmp), metadata={"format": "pt"})
        write_json(
            directory / CONFIG_NAME,
            {
                "format": FORMAT,
                "selftalk_version": __version__,
                "model": to_dict(self.config),
                "audio_encoder": (
                    None
                    if self.animator.hears_phonemes
                    else hf_config_dict(self.animator.audio_encoder)
                ),
                **(extra or {}),
            },
        )

    @classmethod
    def from_pretrained(
        cls, directory: str | Path, *, device: str | torch.device = "cpu", lite: bool = False
    ) -> SelfTalk:
        """Load a model directory written by :meth:`save_pretrained` (no network access).

        ``lite=True`` builds the audio encoder with :mod:`selftalk.models.wav2vec2_lite`
        (inference only, no ``transformers`` import: seconds faster to start).
        """
        from safetensors.torch import load_file

        from selftalk.models.weights import check_finite, check_shapes, file_shapes, meta_state

        directory = Path(directory)
        meta = read_model_config(directory)
        config_path = directory / CONFIG_NAME
        try:
            config = from_dict(ModelConfig, meta["model"], path="model")
            config.validate()
        except ConfigError as error:
            raise InputError(config_path, str(error)) from None
        hears_phonemes = config.animator.input == "phonemes"
        if not hears_phonemes and (
            not isinstance(meta.get("audio_encoder"), dict) or not meta["audio_encoder"]
        ):
            raise InputError(config_path, "'audio_encoder' must be a non-empty JSON object")

        def build(lip_indices) -> SelfTalk:
            encoder = (
                None
                if hears_phonemes
                else _build_encoder(meta["audio_encoder"], lite=lite, source=config_path)
            )
            return cls(config, lip_indices, audio_encoder=encoder)

        weights = directory / WEIGHTS_NAME
        if not weights.is_file():
            raise InputError(weights, "no such file: the model directory has no weights")
        # names and shapes first, from the file's header and a model built without memory:
        # a config or a file that claims a huge network is refused before anything is allocated
        placeholder = torch.zeros(config.n_lip_vertices, dtype=torch.long)
        expected = meta_state(lambda: build(placeholder))
        rename = lambda state: adapt_weight_norm_keys(state, set(expected))  # noqa: E731
        check_shapes(expected, file_shapes(weights), weights, rename=rename)
        try:
            state = rename(load_file(str(weights), device="cpu"))
        except Exception as error:  # noqa: BLE001 - a damaged file fails in several ways
            raise InputError(weights, f"not a readable safetensors file ({error})") from None
        check_finite(state, weights)
        lips = state[LIP_INDICES_KEY]
        if lips.is_floating_point() or (
            len(lips) and not 0 <= int(lips.min()) <= int(lips.max()) < config.n_vertices
        ):
            raise InputError(
                weights, f"{LIP_INDICES_KEY} must be vertex indices in [0, {config.n_vertices})"
            )
        model = build(lips)
        model.load_state_dict(state, strict=True)
        return model.to(device).eval()


def read_model_config(directory: str | Path) -> dict[str, Any]:
    """The parsed ``config.json`` of a model directory, checked to be one: a JSON object with
    ``format``, a ``model`` object and an ``audio_encoder`` (an object, or null for a model
    that hears phonemes; :meth:`SelfTalk.from_pretrained` checks which)."""
    path = Path(directory) / CONFIG_NAME
    if not Path(directory).is_dir():
        raise InputError(directory, "no such model directory")
    if not path.is_file():
        raise InputError(directory, f"not a selftalk model directory (no {CONFIG_NAME})")
    meta = read_json(path)
    if not isinstance(meta, dict):
        raise InputError(path, f"expected a JSON object, found a {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise InputError(path, f"not a selftalk model config (format {meta.get('format')!r})")
    if not isinstance(meta.get("model"), dict) or not meta["model"]:
        raise InputError(path, "'model' must be a non-empty JSON object")
    if "audio_encoder" not in meta:
        raise InputError(path, "'audio_encoder' is missing")
    return meta


LIP_INDICES_KEY = "lip_reader.lip_indices"


def _build_encoder(hf_config: dict[str, Any], *, lite: bool, source: Path) -> nn.Module:
    """The audio encoder a model directory's ``audio_encoder`` config describes; a config that
    is not a wav2vec 2.0 one is an :class:`InputError` naming ``source``."""
    try:
        if lite:
            from selftalk.models.wav2vec2_lite import LiteWav2Vec2Model

            return LiteWav2Vec2Model(hf_config)
        return wav2vec2_from_hf_config(hf_config)
    except (
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        IndexError,
        ZeroDivisionError,
        RuntimeError,
    ) as error:
        problem = (
            str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        )
        raise InputError(
            source, f"audio_encoder is not a usable wav2vec 2.0 config ({problem})"
        ) from None
