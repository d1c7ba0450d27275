"""Build Hugging Face wav2vec 2.0 networks from a :class:`SpeechEncoderConfig`, offline-safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from selftalk.config import SpeechEncoderConfig
from selftalk.errors import ConfigError


def build_wav2vec2(spec: SpeechEncoderConfig, *, ctc: bool = False):
    """A ``Wav2Vec2Model`` (or ``Wav2Vec2ForCTC`` when ``ctc``): pretrained or random."""
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC, Wav2Vec2Model

    cls = Wav2Vec2ForCTC if ctc else Wav2Vec2Model
    if spec.pretrained is None:
        return cls(Wav2Vec2Config(**spec.hf_kwargs()))
    from transformers.utils import logging

    overrides = {"num_hidden_layers": spec.keep_layers} if spec.keep_layers else {}
    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # dropped layers and CTC heads are expected, not news
    logging.disable_progress_bar()
    try:
        # float32 whatever the stored dtype (the bundled weights are stored in float16)
        return cls.from_pretrained(spec.pretrained, dtype=torch.float32, **overrides)
    except OSError as error:
        where = "directory" if Path(spec.pretrained).exists() else "hub name"
        raise ConfigError(
            f"cannot load wav2vec 2.0 {where} {spec.pretrained!r}: {str(error).splitlines()[0]} "
            "(offline? download it where the hub is reachable and pass the local directory)"
        ) from None
    finally:
        logging.set_verbosity(verbosity)
        logging.enable_progress_bar()


def wav2vec2_from_hf_config(hf_config: dict[str, Any], *, ctc: bool = False):
    """A randomly initialised network of a saved Hugging Face config dict (no hub access)."""
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC, Wav2Vec2Model

    config = Wav2Vec2Config.from_dict(dict(hf_config))
    return (Wav2Vec2ForCTC if ctc else Wav2Vec2Model)(config)


def hf_config_dict(model) -> dict[str, Any]:
    """The architecture of a Hugging Face (or lite) wav2vec 2.0 network as a JSON-ready dict."""
    config = (
        model.config.to_dict() if hasattr(model.config, "to_dict") else dict(vars(model.config))
    )
    for key in ("_name_or_path", "transformers_version", "architectures", "torch_dtype", "dtype"):
        config.pop(key, None)
    return config


_WEIGHT_NORM_FORMS = (
    (".weight_g", ".parametrizations.weight.original0"),
    (".weight_v", ".parametrizations.weight.original1"),
)


def adapt_weight_norm_keys(state: dict[str, Any], expected: set[str]) -> dict[str, Any]:
    """Rename weight-norm keys between the two layouts of the positional convolution.

    Older transformers store ``conv.weight_g``/``conv.weight_v``; newer ones
    ``conv.parametrizations.weight.original0``/``original1``. Keys are renamed to whichever
    form ``expected`` (the target model's keys) uses; others pass through unchanged.
    """
    adapted = {}
    for key, value in state.items():
        if key not in expected:
            for old, new in _WEIGHT_NORM_FORMS:
                for src, dst in ((old, new), (new, old)):
                    if key.endswith(src) and key[: -len(src)] + dst in expected:
                        key = key[: -len(src)] + dst
                        break
        adapted[key] = value
    return adapted
