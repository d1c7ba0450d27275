"""The animator that hears phonemes as one exportable graph: phonetic features → vertices.

The phoneme recognizer and the prosody features run outside the graph (the recognizer is
hama's own engine, not torch); :class:`FeaturesGraph` is the rest of the animator, the
dilated causal convolutions, the resampling to the mesh rate, the banded decoder and the
head, for one whole clip. It computes what :meth:`FacialAnimator.forward` computes for one
unpadded clip (tested equal), without Python integers taken from tensors, so that
``torch.export`` traces it with a dynamic frame count. The recipe for the features is in the
contract's ``ears`` entry (:func:`ears_recipe`), which ``docs/deploy.md`` explains.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from selftalk.models.animator import FacialAnimator
from selftalk.models.contract import InferenceContract, TensorSpec, template_spec, vertices_spec
from selftalk.models.phonetic_encoder import AUDIO_RATE
from selftalk.models.prosody import HOP, N_FEATURES
from selftalk.models.raw_audio_graph import decode_vertices, traced_frame_count


class FeaturesGraph(nn.Module):
    """features (1, T, F) at 50 Hz, template (V, 3) → vertices (T', V, 3),
    T' = int(T / 50 · fps)."""

    def __init__(self, animator: FacialAnimator):
        super().__init__()
        if not animator.hears_phonemes:
            raise ValueError("a features graph needs an animator that hears phonemes")
        self.animator = animator
        self.fps = float(animator.config.fps)

    def forward(self, features: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        phonetic = self.animator.phonetic
        n = features.shape[1]
        # beyond the clip's end the last frame repeats (PhoneticEncoder.encode)
        index = torch.arange(n + phonetic.lookahead, device=features.device).clamp(max=n - 1)
        x = phonetic.input_map(features[:, index])
        for block in phonetic.blocks:
            x = block(x)
        hidden = x[:, phonetic.lookahead :]
        frames = traced_frame_count(n, AUDIO_RATE, self.fps)
        torch._check(frames > 1)  # the exported decoder assumes more than one frame
        # linear resampling at absolute times, as resample_to_mesh does
        position = torch.arange(frames, device=features.device, dtype=torch.float64) * (
            AUDIO_RATE / self.fps
        )
        low = torch.floor(position + 1e-9)
        frac = (position - low).to(hidden.dtype)[None, :, None]
        low = low.to(torch.int64)
        a = hidden.index_select(1, low.clamp(max=n - 1))
        b = hidden.index_select(1, (low + 1).clamp(max=n - 1))
        return decode_vertices(self.animator, a + (b - a) * frac, template)


def ears_recipe(model) -> dict[str, Any]:
    """What a caller computes outside the graph, as data: the recognizer (identity as the
    model's config holds it, plus the weights' sha256 and engine version), its windows, the
    feature layout and the frame rates (``docs/deploy.md`` spells it out)."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    ears = model.config.animator.ears
    try:
        from hama.asr import _read_asr_hama_bytes

        sha = hashlib.sha256(_read_asr_hama_bytes(ears.weights)).hexdigest()
        engine_version = version("hama")
    except (ImportError, PackageNotFoundError):
        sha = engine_version = None
    prosody = model.config.animator.prosody
    n_posteriors = ears.vocab_size
    return {
        "recognizer": {
            "engine": ears.engine,
            "engine_version": engine_version,
            "weights": ears.weights or "the model shipped in the engine's package",
            "weights_sha256": sha,
            "vocab_size": ears.vocab_size,
            "input": "raw 16 kHz mono speech (not normalised), times input_gain, clipped to "
            "[-1, 1]",
            "input_gain": ears.input_gain,
            "output": "log-probabilities, one frame every 320 samples (frame k centred on "
            "sample 320·k): S // 320 + 1 frames for S samples",
        },
        "windows": {
            "left_context": ears.left_context,
            "core": ears.core,
            "right_context": ears.right_context,
            "rule": "frames are decided core at a time: for the frames c … c+n-1 (c a multiple "
            "of core), run the recognizer on the samples from frame lo = max(0, c - "
            "left_context) to frame hi = min(T, c + n + right_context), i.e. samples "
            "[320·lo, 320·hi), or to the end of the audio when hi = T; keep its output "
            "rows c - lo … c - lo + n - 1",
        },
        "features": {
            "width": ears.n_features(prosody),
            "layout": [
                {
                    "columns": [0, n_posteriors],
                    "name": "posteriors",
                    "value": "max(log_prob, -16) / 16",
                },
                *(
                    [
                        {
                            "columns": [n_posteriors, n_posteriors + N_FEATURES],
                            "name": "prosody",
                            "value": "selftalk.models.prosody.prosody_features(audio) of the "
                            "raw audio: level, 8 band energies, voicing, pitch per frame",
                        }
                    ]
                    if prosody
                    else []
                ),
            ],
            "frame_rate": AUDIO_RATE,
            "hop_samples": HOP,
        },
        "python": "SelfTalk.hear(audio) computes exactly this: (T, F) features of (S,) audio",
    }


def features_contract(model, *, seconds: float = 2.0) -> InferenceContract:
    """The contract of a SelfTalk model whose animator hears phonemes (``model``: a
    :class:`~selftalk.models.selftalk.SelfTalk`); ``seconds`` of example features."""
    animator = model.animator
    config = model.config
    n_vertices = config.n_vertices
    width = config.animator.ears.n_features(config.animator.prosody)
    frames = int(seconds * AUDIO_RATE) + 1
    generator = torch.Generator().manual_seed(0)
    features = torch.rand(1, frames, width, generator=generator) - 1.0
    min_frames = next(n for n in range(2, 100) if int(n / AUDIO_RATE * config.fps) >= 2)
    return InferenceContract(
        kind="features",
        graph=FeaturesGraph(animator).eval(),
        inputs=(
            TensorSpec(
                "features",
                "float32",
                (1, "feature_frames", width),
                "phonetic features at 50 Hz: the recognizer's scaled log-probabilities and "
                "the prosody features (see ears)",
            ),
            template_spec(n_vertices),
        ),
        outputs=(vertices_spec(n_vertices, config.fps, "; int(feature_frames / 50 · fps) frames"),),
        example_inputs=(features, torch.zeros(n_vertices, 3)),
        fps=float(config.fps),
        outside="run the phoneme recognizer over the raw 16 kHz audio in windows and add the "
        "prosody features, as the ears entry says (SelfTalk.hear does it in Python); the "
        "animator's receptive field is bounded, so long audio can be animated in windows "
        "that overlap by it (selftalk predict --engine onnx does this, exactly)",
        min_samples=(min_frames - 1) * HOP,
        extra={
            "min_feature_frames": min_frames,
            "receptive_field": {
                "feature_frames_before": animator.phonetic.receptive_field,
                "feature_frames_after": config.animator.lookahead,
                "mesh_frames_before": config.animator.attention_window
                * config.animator.decoder_layers,
            },
            "ears": ears_recipe(model),
        },
    )
