"""Import the official SelfTalk release checkpoints (``vocaset.pth``, ``BIWI.pth``).

The release saves the state dict of one module whose children are named differently from
ours. This module maps every one of its keys, strictly (no key may be missing or left over),
onto a :class:`~selftalk.models.selftalk.SelfTalk` model (animator + lip reader) and a
Hugging Face ``Wav2Vec2ForCTC`` recognizer:

==========================  ===========================================
official key prefix         here
==========================  ===========================================
``audio_encoder.``          ``animator.audio_encoder.``
``audio_feature_map.``      ``animator.audio_feature_map.``
``transformer_decoder.``    ``animator.decoder.``
``vertice_map_r.``          ``animator.vertex_head.``
``lip_map.``                ``lip_reader.lip_map.``
``transformer.``            ``lip_reader.transformer.``
``lm_head.``                ``lip_reader.text_head.``
``text_encoder.``           the recognizer (its own ``Wav2Vec2ForCTC`` directory)
==========================  ===========================================

The lip vertex list is not in the checkpoint (the release reads it from ``FLAME_masks.pkl`` or
``BIWI_lip.pkl``); the user points to that file and it becomes ``lip_reader.lip_indices``.
Both layouts of the weight-normalised positional convolution are accepted (``weight_g``/
``weight_v`` of the transformers version the release used, ``parametrizations.weight.*`` of
newer ones). Nothing here downloads anything: the XLSR-53 architecture is built from config.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from selftalk.config import (
    PAPER_RECOGNIZER,
    SAMPLE_RATE,
    ModelConfig,
    SpeechEncoderConfig,
    xlsr53_large,
)
from selftalk.errors import ConfigError, InputError
from selftalk.models.selftalk import SelfTalk
from selftalk.models.wav2vec2 import adapt_weight_norm_keys

OFFICIAL_PRESETS = ("vocaset-official", "biwi-official")
"""Presets whose architecture is the release's (VOCASET and BIWI settings)."""

MODEL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("audio_encoder.", "animator.audio_encoder."),
    ("audio_feature_map.", "animator.audio_feature_map."),
    ("transformer_decoder.", "animator.decoder."),
    ("vertice_map_r.", "animator.vertex_head."),
    ("lip_map.", "lip_reader.lip_map."),
    ("transformer.", "lip_reader.transformer."),
    ("lm_head.", "lip_reader.text_head."),
)
"""(official prefix, our prefix) of every part of the trainable model."""

RECOGNIZER_PREFIX = "text_encoder."
"""Official prefix of the frozen recognizer; what follows is ``Wav2Vec2ForCTC`` naming."""

LIP_INDICES_KEY = "lip_reader.lip_indices"
RECOGNIZER_DIR = "recognizer"

# Fields of the English XLSR-53 recognizer's config.json that SpeechEncoderConfig does not
# carry (they only act in training: dropout before the CTC head, CTC on impossible paths).
_RECOGNIZER_HF_EXTRA = {"final_dropout": 0.0, "ctc_zero_infinity": True}


@dataclass
class OfficialWeights:
    """A release state dict split and renamed.

    Attributes:
        model: tensors of the trainable model in our naming (no lip indices yet).
        recognizer: tensors of the recognizer in ``Wav2Vec2ForCTC`` naming (may be empty).
    """

    model: dict[str, torch.Tensor]
    recognizer: dict[str, torch.Tensor]


@dataclass
class ImportedModel:
    """The result of an import: our model and, when the checkpoint has one, the recognizer."""

    model: SelfTalk
    recognizer_config: Any | None
    """``transformers.Wav2Vec2Config`` of the recognizer, or None."""
    recognizer_state: dict[str, torch.Tensor]
    """Its tensors in the naming the installed transformers expects."""


# --------------------------------------------------------------------------------------------
# Reading and renaming


def load_official_state(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a release checkpoint (a plain state dict) with ``torch.load(weights_only=True)``.

    The file is memory-mapped where its format allows, so a 3 GB checkpoint is not copied
    into memory twice.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such checkpoint file")
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as error:  # the legacy (pre-1.6) format cannot be memory-mapped
            if "mmap" not in str(error):
                raise
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # unpickling refuses anything but tensors and containers
        raise InputError(
            path,
            f"not a PyTorch state dict that can be read safely "
            f"({str(error).strip().splitlines()[0]})",
        ) from None
    if (
        isinstance(state, Mapping)
        and "state_dict" in state
        and isinstance(state["state_dict"], Mapping)
    ):
        state = state["state_dict"]
    if not isinstance(state, Mapping) or not state:
        raise InputError(path, "expected a non-empty state dict (a mapping of names to tensors)")
    bad = [k for k, v in state.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise InputError(path, f"not a state dict: {bad[0]!r} is not a named tensor")
    return dict(state)


def split_official_state(
    state: Mapping[str, torch.Tensor], *, source: str | Path = "checkpoint"
) -> OfficialWeights:
    """Rename a release state dict to our naming; keys no part claims are an error."""
    model: dict[str, torch.Tensor] = {}
    recognizer: dict[str, torch.Tensor] = {}
    unknown = []
    for key, value in state.items():
        if key.startswith("module."):  # saved from nn.DataParallel
            key = key[len("module.") :]
        if key.startswith(RECOGNIZER_PREFIX):
            recognizer[key[len(RECOGNIZER_PREFIX) :]] = value
            continue
        for official, ours in MODEL_PREFIXES:
            if key.startswith(official):
                model[ours + key[len(official) :]] = value
                break
        else:
            unknown.append(key)
    if unknown:
        raise InputError(
            source,
            f"not a SelfTalk release checkpoint: {len(unknown)} unexpected "
            f"key(s): {_sample(unknown)}",
        )
    return OfficialWeights(model=model, recognizer=recognizer)


def official_name(key: str) -> str:
    """Our key → the release's key (for messages)."""
    for official, ours in MODEL_PREFIXES:
        if key.startswith(ours):
            return official + key[len(ours) :]
    return key


# --------------------------------------------------------------------------------------------
# Configuration


def offline_encoder(spec: SpeechEncoderConfig, where: str) -> SpeechEncoderConfig:
    """The architecture of ``spec`` built from config: the paper's hub model becomes its
    XLSR-53 large architecture; another hub model cannot be known offline."""
    if spec.pretrained is None:
        return spec
    if spec.pretrained == PAPER_RECOGNIZER:
        return xlsr53_large(pretrained=None)
    raise ConfigError(
        f"{where}.pretrained is {spec.pretrained!r}: importing needs an architecture "
        "given by its fields (set it to null)"
    )


def import_config(config: ModelConfig) -> ModelConfig:
    """A copy of ``config`` whose audio encoder is built from fields, not downloaded."""
    animator = dataclasses.replace(
        config.animator, encoder=offline_encoder(config.animator.encoder, "model.animator.encoder")
    )
    return dataclasses.replace(config, animator=animator)


def recognizer_hf_config(spec: SpeechEncoderConfig):
    """``Wav2Vec2Config`` of the recognizer ``spec`` describes (built offline)."""
    from transformers import Wav2Vec2Config

    spec = offline_encoder(spec, "recognizer")
    extra = _RECOGNIZER_HF_EXTRA if spec == xlsr53_large(pretrained=None) else {}
    return Wav2Vec2Config(**{**spec.hf_kwargs(), **extra}, architectures=["Wav2Vec2ForCTC"])


# --------------------------------------------------------------------------------------------
# Import


def import_official(
    state: Mapping[str, torch.Tensor],
    config: ModelConfig,
    lip_indices: np.ndarray,
    *,
    recognizer: SpeechEncoderConfig,
    keep_recognizer: bool = True,
    source: str | Path = "checkpoint",
) -> ImportedModel:
    """Build our model (and the recognizer's weights) from a release state dict.

    Args:
        state: the release's state dict (official naming).
        config: the architecture (e.g. ``preset("vocaset-official").model``); a hub audio
            encoder is replaced by its architecture (:func:`import_config`).
        lip_indices: (L,) lip vertex indices in the release's order (duplicates kept).
        recognizer: the recognizer's architecture (e.g. ``preset(...).recognizer``).
        keep_recognizer: keep the recognizer's tensors; otherwise they are checked (loading
            is strict) and dropped.
        source: the checkpoint's path, for messages.
    Raises:
        InputError: a key is missing, unexpected or of the wrong shape, or the lip list does not
            fit the checkpoint.
    """
    weights = split_official_state(state, source=source)
    config = import_config(config)
    lip_indices = np.asarray(lip_indices, dtype=np.int64).reshape(-1)
    _check_lips(weights, config, lip_indices, source)
    model = SelfTalk(config, lip_indices)
    _load_strict(model, weights.model, source)
    model.eval()

    hf_config = recognizer_hf_config(recognizer)
    recognizer_state = _check_recognizer(hf_config, weights.recognizer, source)
    if not keep_recognizer:
        hf_config, recognizer_state = None, {}
    return ImportedModel(
        model=model, recognizer_config=hf_config, recognizer_state=recognizer_state
    )


def _check_lips(weights: OfficialWeights, config: ModelConfig, lips: np.ndarray, source) -> None:
    lip_map = weights.model.get("lip_reader.lip_map.weight")
    if lip_map is not None and lip_map.ndim == 2 and lip_map.shape[1] != 3 * len(lips):
        raise InputError(
            source,
            f"its lip_map reads {lip_map.shape[1] // 3} lip vertices but the "
            f"lip file lists {len(lips)}",
        )
    if len(lips) != config.n_lip_vertices:
        raise InputError(
            source,
            f"the lip file lists {len(lips)} vertices; the preset expects {config.n_lip_vertices}",
        )
    if lips.min() < 0 or lips.max() >= config.n_vertices:
        raise InputError(source, f"a lip index falls outside the {config.n_vertices} vertices")


def _load_strict(model: SelfTalk, mapped: dict[str, torch.Tensor], source) -> None:
    expected = model.state_dict()
    mapped = adapt_weight_norm_keys(mapped, set(expected))
    mapped[LIP_INDICES_KEY] = expected[LIP_INDICES_KEY]
    _check_state(expected, mapped, official_name, source, shape_label="does not fit the preset: ")
    model.load_state_dict(mapped, strict=True)


def _check_state(
    expected: dict[str, torch.Tensor],
    tensors: dict[str, torch.Tensor],
    name,
    source,
    *,
    label: str = "",
    shape_label: str = "",
) -> None:
    """Refuse ``tensors`` unless they have exactly the keys and shapes of ``expected``; the
    message names keys as ``name(key)`` (the release's naming)."""
    missing = [name(k) for k in expected if k not in tensors]
    unexpected = [name(k) for k in tensors if k not in expected]
    if missing or unexpected:
        raise InputError(source, label + _mismatch_message(missing, unexpected))
    wrong = [
        f"{name(k)} is {tuple(v.shape)}, expected {tuple(expected[k].shape)}"
        for k, v in tensors.items()
        if v.shape != expected[k].shape
    ]
    if wrong:
        raise InputError(
            source,
            f"{label}{shape_label}{len(wrong)} tensor(s) of the wrong shape: {_sample(wrong)}",
        )


def _check_recognizer(
    hf_config, tensors: dict[str, torch.Tensor], source
) -> dict[str, torch.Tensor]:
    """Check the recognizer's tensors against the architecture; return them renamed to the
    weight-norm layout the installed transformers uses."""
    from transformers import Wav2Vec2ForCTC

    with torch.device("meta"):  # names and shapes only: no memory, no initialisation
        expected = Wav2Vec2ForCTC(hf_config).state_dict()
    tensors = adapt_weight_norm_keys(tensors, set(expected))
    _check_state(expected, tensors, lambda k: RECOGNIZER_PREFIX + k, source, label="recognizer: ")
    return tensors


def _mismatch_message(missing: list[str], unexpected: list[str]) -> str:
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing key(s): {_sample(missing)}")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected key(s): {_sample(unexpected)}")
    return "does not match the preset: " + "; ".join(parts)


def _sample(items: list[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" (and {len(items) - n} more)" if len(items) > n else "")


# --------------------------------------------------------------------------------------------
# Writing


def save_imported(
    imported: ImportedModel,
    directory: str | Path,
    *,
    mesh: Any | None = None,
    templates: Mapping[str, np.ndarray] | None = None,
    source: str | Path | None = None,
) -> Path:
    """Write a model directory that :func:`selftalk.inference.loading.load_model` reads.

    ``config.json`` + ``model.safetensors`` (:meth:`SelfTalk.save_pretrained`); ``recognizer/``
    (a ``Wav2Vec2ForCTC`` directory) when the import kept it; ``mesh.ply`` when a mesh
    (:class:`selftalk.mesh.Mesh`) is given; ``templates.npz`` when subject templates are given.
    Everything is checked before anything is written.
    """
    from safetensors.torch import save_file

    from selftalk.data.layout import MESH_FILE, TEMPLATES_FILE, write_templates
    from selftalk.io import atomic_path, write_json
    from selftalk.mesh import write_mesh

    directory = Path(directory)
    model = imported.model
    n = model.config.n_vertices
    if mesh is not None and len(mesh.vertices) != n:
        raise InputError(
            source or directory,
            f"the mesh has {len(mesh.vertices)} vertices; the model animates {n}",
        )
    templates = {
        str(k): np.asarray(v, np.float32).reshape(-1, 3) for k, v in (templates or {}).items()
    }
    for subject, template in templates.items():
        if len(template) != n:
            raise InputError(
                source or directory,
                f"the template of {subject!r} has {len(template)} vertices; the model animates {n}",
            )
    info: dict[str, Any] = {"source": Path(source).name if source else None}
    if imported.recognizer_config is not None:
        rec_dir = directory / RECOGNIZER_DIR
        rec_dir.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().to("cpu").contiguous() for k, v in imported.recognizer_state.items()}
        with atomic_path(rec_dir / "model.safetensors") as tmp:
            save_file(state, str(tmp), metadata={"format": "pt"})
        write_json(rec_dir / "config.json", imported.recognizer_config.to_dict())
        write_json(rec_dir / "preprocessor_config.json", _FEATURE_EXTRACTOR)
        info["recognizer"] = RECOGNIZER_DIR
    if mesh is not None:
        write_mesh(directory / MESH_FILE, mesh.vertices, mesh.faces)
    if templates:
        write_templates(directory / TEMPLATES_FILE, templates)
    model.save_pretrained(directory, extra={"official": info})
    return directory


# The feature extractor of the English XLSR-53 recognizer: raw 16 kHz audio, normalised.
_FEATURE_EXTRACTOR = {
    "feature_extractor_type": "Wav2Vec2FeatureExtractor",
    "feature_size": 1,
    "sampling_rate": SAMPLE_RATE,
    "padding_value": 0.0,
    "padding_side": "right",
    "do_normalize": True,
    "return_attention_mask": True,
}
