"""Typed configuration: every hyper-parameter of a SelfTalk model and its training, in one place.

A configuration is a tree of keyword-only dataclasses. Named presets (:data:`PRESETS`) build
complete trees; YAML files and ``key=value`` arguments hold only *overrides* of a preset, and
an unknown key is an error, never silently ignored. The resolved tree is saved with every
model and run (``config.json``), so a checkpoint describes itself.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from selftalk.errors import ConfigError

#: samples per second of the audio every speech model here takes (wav2vec 2.0's 16 kHz);
#: the one definition (``selftalk.audio`` re-exports it)
SAMPLE_RATE = 16_000


# --------------------------------------------------------------------------------------------
# Model parts


@dataclass(kw_only=True)
class SpeechEncoderConfig:
    """A wav2vec 2.0 network: a pretrained one to load, or an architecture to build at random.

    With ``pretrained`` set (a hub name or a local directory), the architecture fields below are
    ignored and the pretrained model's own configuration is used. Otherwise a randomly
    initialised network is built from them (tests, training from scratch).
    """

    pretrained: str | None = None
    """Hub name or local directory for ``from_pretrained``; ``None`` builds from the fields below."""
    keep_layers: int = 0
    """With ``pretrained``: keep only its first N transformer layers (0 keeps all)."""
    hidden_size: int = 1024
    """Transformer width."""
    num_layers: int = 24
    """Transformer layers."""
    num_heads: int = 16
    """Attention heads per layer."""
    intermediate_size: int = 4096
    """Feed-forward width."""
    conv_dim: tuple[int, ...] = (512,) * 7
    """Channels of each layer of the CNN feature encoder."""
    conv_kernel: tuple[int, ...] = (10, 3, 3, 3, 3, 2, 2)
    """Kernel size of each CNN layer."""
    conv_stride: tuple[int, ...] = (5, 2, 2, 2, 2, 2, 2)
    """Stride of each CNN layer; their product sets the frame rate (320 → 50 Hz at 16 kHz)."""
    conv_bias: bool = True
    """Whether the CNN layers have biases."""
    feat_extract_norm: Literal["layer", "group"] = "layer"
    """Normalisation of the CNN layers; ``layer`` keeps padded batches equal to one-by-one runs."""
    do_stable_layer_norm: bool = True
    """Pre-norm transformer (large/XLSR models) instead of post-norm (base models)."""
    num_conv_pos_embeddings: int = 128
    """Kernel of the convolutional positional embedding."""
    num_conv_pos_embedding_groups: int = 16
    """Groups of the convolutional positional embedding."""
    vocab_size: int = 33
    """Output tokens of a CTC head (recognizer only)."""
    pad_token_id: int = 0
    """The CTC blank / padding token."""
    hidden_dropout: float = 0.1
    """Dropout on transformer hidden states."""
    attention_dropout: float = 0.1
    """Dropout on attention weights."""
    activation_dropout: float = 0.05
    """Dropout inside the feed-forward blocks."""
    feat_proj_dropout: float = 0.05
    """Dropout after the feature projection."""
    layerdrop: float = 0.1
    """Probability of skipping a whole transformer layer in training."""
    mask_time_prob: float = 0.05
    """SpecAugment time-masking probability in training (0 disables)."""
    mask_time_length: int = 10
    """Length of each SpecAugment time mask, in frames."""

    @property
    def hop(self) -> int:
        """Samples per output frame: the product of the CNN strides (320 for the standard CNN)."""
        return math.prod(self.conv_stride)

    @property
    def frame_rate(self) -> float:
        """Output frames per second at :data:`SAMPLE_RATE` (50.0 for the standard CNN)."""
        return SAMPLE_RATE / self.hop

    def validate(self, path: str = "encoder") -> None:
        if self.keep_layers < 0:
            raise ConfigError(f"{path}.keep_layers must be >= 0, got {self.keep_layers}")
        if self.pretrained is not None:
            return
        _positive(
            path,
            self,
            "hidden_size",
            "num_layers",
            "num_heads",
            "intermediate_size",
            "num_conv_pos_embeddings",
            "num_conv_pos_embedding_groups",
            "vocab_size",
            "mask_time_length",
        )
        if not 0 <= self.pad_token_id < self.vocab_size:
            raise ConfigError(
                f"{path}.pad_token_id must be in [0, vocab_size), got {self.pad_token_id}"
            )
        for name in ("conv_dim", "conv_kernel", "conv_stride"):
            for i, value in enumerate(getattr(self, name)):
                if not (isinstance(value, int) and value > 0):
                    raise ConfigError(
                        f"{path}.{name}[{i}] must be a positive integer, got {value!r}"
                    )
        if self.hidden_size % self.num_heads:
            raise ConfigError(
                f"{path}.hidden_size ({self.hidden_size}) must be divisible by "
                f"{path}.num_heads ({self.num_heads})"
            )
        if not len(self.conv_dim) == len(self.conv_kernel) == len(self.conv_stride) > 0:
            raise ConfigError(
                f"{path}.conv_dim, conv_kernel and conv_stride must have one entry per CNN layer"
            )
        if self.hidden_size % self.num_conv_pos_embedding_groups:
            raise ConfigError(f"{path}.num_conv_pos_embedding_groups must divide hidden_size")
        for name in (
            "hidden_dropout",
            "attention_dropout",
            "activation_dropout",
            "feat_proj_dropout",
            "layerdrop",
            "mask_time_prob",
        ):
            _probability(path, self, name)

    def hf_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``transformers.Wav2Vec2Config`` for this architecture."""
        return dict(
            hidden_size=self.hidden_size,
            num_hidden_layers=self.num_layers,
            num_attention_heads=self.num_heads,
            intermediate_size=self.intermediate_size,
            conv_dim=list(self.conv_dim),
            conv_kernel=list(self.conv_kernel),
            conv_stride=list(self.conv_stride),
            conv_bias=self.conv_bias,
            feat_extract_norm=self.feat_extract_norm,
            do_stable_layer_norm=self.do_stable_layer_norm,
            num_conv_pos_embeddings=self.num_conv_pos_embeddings,
            num_conv_pos_embedding_groups=self.num_conv_pos_embedding_groups,
            vocab_size=self.vocab_size,
            pad_token_id=self.pad_token_id,
            hidden_dropout=self.hidden_dropout,
            attention_dropout=self.attention_dropout,
            activation_dropout=self.activation_dropout,
            feat_proj_dropout=self.feat_proj_dropout,
            layerdrop=self.layerdrop,
            mask_time_prob=self.mask_time_prob,
            mask_time_length=self.mask_time_length,
            ctc_loss_reduction="mean",
        )


@dataclass(kw_only=True)
class PhonemeRecognizerConfig:
    """A pretrained CTC phoneme recognizer with its own CPU engine, frozen (PyPI ``hama``).

    16 kHz speech in, log-probabilities over IPA tokens out, one frame every 320 samples (50 Hz,
    frame k centred on sample 320·k). It runs over windows of bounded context: frames are
    computed ``core`` at a time, each window adding up to ``left_context`` frames before and
    ``right_context`` after. Output therefore depends on at most that much audio around a frame,
    which is what lets a stream (smaller cores, the same contexts) hear what offline
    inference hears. No network access: the weights ship in the hama wheel.
    """

    engine: Literal["hama"] = "hama"
    """The recognizer's engine."""
    weights: str | None = None
    """A ``.hama`` weights file; ``None`` uses the model shipped in the hama package."""
    left_context: int = 32
    """Frames of audio context before each window's core (20 ms each)."""
    core: int = 100
    """Frames decided per window offline (streams decide fewer at a time)."""
    right_context: int = 4
    """Frames of look-ahead after each window's core (a stream's latency grows with it)."""
    input_gain: float = 1.0
    """Scale applied to the waveform before the recognizer (e.g. 0.1 for audio normalised to
    unit variance, bringing it to a typical speech level)."""
    vocab_size: int = 191
    """Tokens of its output (hama's IPA vocabulary: 191); checked against the engine."""

    def n_features(self, prosody: bool) -> int:
        """Width of what an animator hears through it: posteriors [+ 11 prosody features]."""
        return self.vocab_size + (11 if prosody else 0)

    def validate(self, path: str = "ears") -> None:
        _choice(path, self, "engine", ("hama",))
        _positive(path, self, "core", "input_gain", "vocab_size")
        for name in ("left_context", "right_context"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{path}.{name} must be >= 0, got {getattr(self, name)}")
        if self.left_context + self.core + self.right_context > 1500:
            raise ConfigError(
                f"{path}: a window (left_context + core + right_context) must stay "
                "within the recognizer's 30 s (1500 frames)"
            )


@dataclass(kw_only=True)
class AnimatorConfig:
    """The facial animator: audio encoder → frame alignment → transformer decoder → vertex head.

    It hears the waveform through a wav2vec 2.0 encoder (``input: waveform``, the paper), or
    through a frozen phoneme recognizer's per-frame posteriors plus prosody features
    (``input: phonemes``) followed by a stack of dilated convolutions.
    """

    input: Literal["waveform", "phonemes"] = "waveform"
    """What the decoder hears: a fine-tuned wav2vec 2.0 (``waveform``) or phonetic posteriors
    and prosody (``phonemes``)."""
    encoder: SpeechEncoderConfig = field(default_factory=SpeechEncoderConfig)
    """With ``input: waveform``: its wav2vec 2.0 audio encoder (fine-tuned, CNN frozen)."""
    ears: PhonemeRecognizerConfig = field(default_factory=PhonemeRecognizerConfig)
    """With ``input: phonemes``, and whenever the diagram's recognizer is ``phonemes``: the
    phoneme recognizer and its windows."""
    prosody: bool = True
    """With ``input: phonemes``: also hear loudness, spectral shape and voicing (11 features
    a 20 ms frame) beside the posteriors."""
    conv_layers: int = 6
    """With ``input: phonemes``: residual dilated causal convolutions at 50 Hz."""
    conv_kernel: int = 5
    """Their kernel size (dilations double every layer, restarting after 4)."""
    lookahead: int = 2
    """With ``input: phonemes``: 20 ms frames the convolutions see ahead of each frame."""
    attention_window: int = 0
    """Mesh frames before each frame that the decoder attends to (0: the whole clip, as the
    paper; > 0: a causal band that bounds memory and lets the animator stream)."""
    head: Literal["linear", "basis"] = "linear"
    """The vertex head: a zero-initialised linear map to V·3 offsets (the paper), or to
    ``head_rank`` coefficients of an orthonormal PCA basis of the training motion (fitted
    when training starts; losses then cost R numbers a frame instead of 3V)."""
    head_rank: int = 128
    """Components of the motion basis (``head: basis``)."""
    freeze_feature_encoder: bool = True
    """Keep the CNN feature encoder frozen, as the paper does."""
    alignment: Literal["interpolate_cnn", "interpolate", "stack"] = "interpolate_cnn"
    """How 50 Hz audio frames meet the mesh frame rate: ``interpolate_cnn`` resamples the CNN
    features linearly before the transformer (SelfTalk's VOCASET setting, FaceFormer);
    ``interpolate`` resamples the encoder output; ``stack`` concatenates groups of
    ``audio_rate / fps`` consecutive encoder frames (SelfTalk's BIWI setting; needs a whole ratio)."""
    feature_dim: int = 512
    """Width of the mesh decoder."""
    decoder_layers: int = 1
    """Transformer decoder layers."""
    decoder_heads: int = 4
    """Attention heads of the decoder."""
    decoder_ff_dim: int = 1024
    """Feed-forward width of the decoder."""
    decoder_dropout: float = 0.1
    """Dropout inside the decoder."""
    smoothing: int = 1
    """Taps (odd) of a binomial low-pass over the output frames at inference, offline and
    streamed alike (1: none; 3: ``[1, 2, 1] / 4``, one frame of look-ahead). Training does
    not use it: it is chosen for trained weights on held-out data
    (:mod:`selftalk.models.smoothing`)."""

    def validate(self, path: str = "animator") -> None:
        _choice(path, self, "input", ("waveform", "phonemes"))
        self.encoder.validate(f"{path}.encoder")
        self.ears.validate(f"{path}.ears")
        _positive(path, self, "feature_dim", "decoder_layers", "decoder_heads", "decoder_ff_dim")
        _positive(path, self, "conv_layers", "conv_kernel", "head_rank")
        _choice(path, self, "head", ("linear", "basis"))
        for name in ("lookahead", "attention_window"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{path}.{name} must be >= 0, got {getattr(self, name)}")
        if not 1 <= self.smoothing <= 15 or self.smoothing % 2 == 0:
            raise ConfigError(f"{path}.smoothing must be odd, 1 to 15, got {self.smoothing}")
        if self.feature_dim % self.decoder_heads:
            raise ConfigError(
                f"{path}.feature_dim ({self.feature_dim}) must be divisible by "
                f"{path}.decoder_heads ({self.decoder_heads})"
            )
        _probability(path, self, "decoder_dropout")
        _choice(path, self, "alignment", ("interpolate_cnn", "interpolate", "stack"))


@dataclass(kw_only=True)
class LipReaderConfig:
    """The lip-reading interpreter: lip vertices → linear → transformer → text head."""

    width: int = 1024
    """Feature width; must equal the recognizer's hidden size (the latent loss compares them)."""
    architecture: Literal["encoder", "encoder_decoder"] = "encoder"
    """``encoder``: a transformer encoder (the paper). ``encoder_decoder``: a full
    ``nn.Transformer`` called as ``transformer(x, x)`` (the official release)."""
    num_layers: int = 6
    """Encoder layers (and decoder layers for ``encoder_decoder``)."""
    num_heads: int = 8
    """Attention heads."""
    ff_dim: int = 2048
    """Feed-forward width."""
    dropout: float = 0.1
    """Dropout inside the transformer."""
    attention_dropout: float | None = None
    """Dropout of the attention weights (None: ``dropout``); it draws a random number for
    each of batch × heads × frames² weights a layer."""
    vocab_size: int = 33
    """Output tokens; must equal the recognizer's vocabulary (with a phoneme recognizer: the
    size of the ``reading`` vocabulary, 41 phonemes or 13 visemes)."""
    reading: Literal["phonemes", "visemes"] = "visemes"
    """With a phoneme recognizer: read ARPAbet phonemes or visemes (groups of phonemes whose
    lips look alike); the recognizer's IPA posteriors are mapped onto them."""
    conv_layers: int = 0
    """Temporal convolutions (kernel 5) over the lip features before the transformer; they
    give it local context and a sense of order (the paper: 0)."""
    offset_scale: float = 1.0
    """Lip offsets are divided by this before the linear map (0.001 reads metres as mm)."""
    latent: Literal["features", "posteriors"] = "features"
    """What L_lat compares: the transformer's features with the recognizer's hidden states
    (the paper), or a distribution over the reading vocabulary with the recognizer's frame
    posteriors (a phoneme recognizer has no hidden states to share)."""

    def validate(self, path: str = "lip_reader") -> None:
        _positive(path, self, "width", "num_layers", "num_heads", "ff_dim", "vocab_size")
        _choice(path, self, "reading", ("phonemes", "visemes"))
        _positive(path, self, "offset_scale")
        _choice(path, self, "latent", ("features", "posteriors"))
        if self.conv_layers < 0:
            raise ConfigError(f"{path}.conv_layers must be >= 0, got {self.conv_layers}")
        if self.width % self.num_heads:
            raise ConfigError(
                f"{path}.width ({self.width}) must be divisible by "
                f"{path}.num_heads ({self.num_heads})"
            )
        _probability(path, self, "dropout")
        if self.attention_dropout is not None:
            _probability(path, self, "attention_dropout")
        _choice(path, self, "architecture", ("encoder", "encoder_decoder"))


@dataclass(kw_only=True)
class ModelConfig:
    """A SelfTalk model: animator and lip reader, sized for one face topology."""

    n_vertices: int = 5023
    """Vertices of the face topology."""
    n_lip_vertices: int = 254
    """Lip vertices the lip reader reads."""
    fps: float = 30.0
    """Mesh frames per second."""
    animator: AnimatorConfig = field(default_factory=AnimatorConfig)
    """The facial animator."""
    lip_reader: LipReaderConfig = field(default_factory=LipReaderConfig)
    """The lip-reading interpreter."""

    def validate(self, path: str = "model") -> None:
        _positive(path, self, "n_vertices", "n_lip_vertices", "fps")
        if self.n_lip_vertices > self.n_vertices:
            raise ConfigError(f"{path}.n_lip_vertices cannot exceed {path}.n_vertices")
        self.animator.validate(f"{path}.animator")
        self.lip_reader.validate(f"{path}.lip_reader")
        if self.animator.alignment == "stack":
            ratio = self.animator.encoder.frame_rate / self.fps
            if self.animator.encoder.pretrained is None and abs(ratio - round(ratio)) > 1e-9:
                raise ConfigError(
                    f"{path}.animator.alignment 'stack' needs the audio frame rate "
                    f"({self.animator.encoder.frame_rate:g} Hz) to be a whole "
                    f"multiple of {path}.fps ({self.fps:g})"
                )


# --------------------------------------------------------------------------------------------
# Training


@dataclass(kw_only=True)
class LossConfig:
    """Weights of the four loss terms (paper Eq. 12), and an optional lip term; 0 switches a
    term off."""

    rec: float = 1000.0
    """λ1, vertex reconstruction (MSE)."""
    vel: float = 1000.0
    """λ2, velocity (MSE of frame-to-frame differences)."""
    lat: float = 0.001
    """λ3, latent consistency (MSE of lip-reader features vs recognizer hidden states)."""
    ctc: float = 0.0001
    """λ4, text consistency (CTC of lip-reader logits vs the recognizer's transcript)."""
    lip: float = 0.0
    """Extra weight on the lip vertices' reconstruction (MSE over the topology's lip vertices,
    on top of ``rec`` over all of them). Not in the paper; 0 leaves its loss as it is."""
    reader_on_truth: bool = False
    """Also train the lip reader on the ground-truth lips (L_lat and L_ctc with the same
    weights, logged as ``lat_truth`` and ``ctc_truth``; no gradient reaches the animator), so
    that it reads real lips while it judges the predicted ones. Not in the paper, whose reader
    only ever sees predicted motion."""

    def validate(self, path: str = "loss") -> None:
        for name in ("rec", "vel", "lat", "ctc", "lip"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ConfigError(f"{path}.{name} must be a finite weight >= 0, got {value}")

    @property
    def uses_diagram(self) -> bool:
        """Whether the lip reader and recognizer take part (any of lat, ctc is on)."""
        return self.lat > 0 or self.ctc > 0


@dataclass(kw_only=True)
class AugmentConfig:
    """Random audio augmentation in training (each probability 0 switches a transform off).

    The animator hears the augmented audio; the recognizer's targets stay those of the clean
    audio. All transforms keep the duration except ``speed``, which the SelfTalk trainer
    refuses (the motion would no longer match); the recognizer trainer uses it.
    """

    p_noise: float = 0.0
    """Probability of white/pink/brown noise."""
    snr_db: tuple[float, float] = (5.0, 35.0)
    """Range of its signal-to-noise ratio."""
    p_reverb: float = 0.0
    """Probability of a synthetic room response."""
    rt60: tuple[float, float] = (0.1, 0.6)
    """Range of its reverberation time, seconds."""
    p_telephone: float = 0.0
    """Probability of a 300-3400 Hz, 8 kHz (optionally μ-law) channel."""
    p_pitch: float = 0.0
    """Probability of a pitch shift that keeps the duration."""
    semitones: tuple[float, float] = (-3.0, 3.0)
    """Range of the pitch shift."""
    p_speed: float = 0.0
    """Probability of a speed change (pitch and tempo; changes the duration)."""
    speed: tuple[float, float] = (0.9, 1.1)
    """Range of the speed factor."""
    p_gain: float = 0.0
    """Probability of a level change (with clipping)."""
    gain_db: tuple[float, float] = (-20.0, 12.0)
    """Range of the level change, dB."""

    @property
    def enabled(self) -> bool:
        return any(
            getattr(self, f.name) > 0 for f in dataclasses.fields(self) if f.name.startswith("p_")
        )

    def validate(self, path: str = "augment") -> None:
        for f in dataclasses.fields(self):
            if f.name.startswith("p_"):
                value = getattr(self, f.name)
                if not 0.0 <= value <= 1.0:
                    raise ConfigError(f"{path}.{f.name} must be a probability, got {value}")
            else:
                low, high = getattr(self, f.name)
                if low > high:
                    raise ConfigError(f"{path}.{f.name} must be (low, high), got ({low}, {high})")


def robust_augmentation() -> AugmentConfig:
    """The augmentation the bundled models train with."""
    return AugmentConfig(p_noise=0.5, p_reverb=0.3, p_telephone=0.2, p_pitch=0.3, p_gain=0.5)


@dataclass(kw_only=True)
class TrainConfig:
    """Optimisation and bookkeeping of a training run."""

    lr: float = 1e-4
    """Adam learning rate."""
    epochs: int = 100
    """Passes over the training split."""
    batch_size: int = 1
    """Clips per step (padded, masked)."""
    grad_accum: int = 1
    """Steps whose gradients are summed before an optimizer update."""
    weight_decay: float = 0.0
    """Adam(W) weight decay."""
    scheduler: Literal["constant", "cosine"] = "constant"
    """Learning-rate schedule after warm-up."""
    warmup_steps: int = 0
    """Optimizer updates of linear warm-up."""
    grad_clip: float = 0.0
    """Clip the gradient norm to this value; 0 disables."""
    grad_clip_by_module: bool = False
    """Clip the animator's and the lip reader's gradients each to ``grad_clip``, instead of
    both together: one clip lets a young reader's CTC gradients take the whole budget and
    starve the animator (a seed of the bundled recipe stalled so, and trained with this)."""
    seed: int = 0
    """Seed of every random generator."""
    amp: bool = True
    """bfloat16 autocast on CUDA (ignored on CPU)."""
    num_workers: int = 0
    """Data-loading worker processes."""
    val_every: int = 1
    """Validate every N epochs."""
    save_every: int = 1
    """Write a checkpoint every N epochs (the best and the last are always kept)."""
    cache_recognizer: bool = True
    """Compute the frozen recognizer once per clip and cache it on disk."""
    max_steps: int = 0
    """Stop after this many optimizer updates (0: no limit); for smoke tests and benchmarks."""
    length_buckets: bool = False
    """Batch clips of similar length (sorted with 0.5 s of jitter each epoch, the batches in
    random order) instead of at random: less padding."""
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    """Audio augmentation (off by default, as in the paper)."""
    augment_variants: int = 2
    """With augmentation and an animator that hears phonemes: fixed augmented versions of each
    clip whose recognizer outputs are cached (the animator hears one of them, or the clean
    clip, at each step)."""
    stream_core: int = 0
    """With an animator that hears phonemes: one more version of each clip, heard through the
    recognizer in windows of this many frames, as a stream with that core hears it (0: none)."""

    def validate(self, path: str = "train") -> None:
        self.augment.validate(f"{path}.augment")
        if self.augment.p_speed > 0:
            raise ConfigError(
                f"{path}.augment.p_speed must be 0: a speed change would "
                "desynchronise audio and motion"
            )
        _positive(path, self, "lr", "epochs", "batch_size", "grad_accum", "val_every", "save_every")
        for name in (
            "weight_decay",
            "warmup_steps",
            "grad_clip",
            "num_workers",
            "max_steps",
            "augment_variants",
            "stream_core",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"{path}.{name} must be >= 0, got {getattr(self, name)}")
        _choice(path, self, "scheduler", ("constant", "cosine"))


@dataclass(kw_only=True)
class SelfTalkConfig:
    """Everything a SelfTalk run needs: model, frozen recognizer, loss weights and training."""

    model: ModelConfig = field(default_factory=ModelConfig)
    """The trainable model (animator + lip reader)."""
    recognizer_kind: Literal["wav2vec2", "phonemes"] = "wav2vec2"
    """The diagram's frozen speech recognizer: a wav2vec 2.0 CTC model (``recognizer``, the
    paper) or the phoneme recognizer ``model.animator.ears`` (no download)."""
    recognizer: SpeechEncoderConfig = field(default_factory=SpeechEncoderConfig)
    """With ``recognizer_kind: wav2vec2``: the frozen wav2vec 2.0 CTC model."""
    loss: LossConfig = field(default_factory=LossConfig)
    """Loss weights."""
    train: TrainConfig = field(default_factory=TrainConfig)
    """Training settings."""

    def validate(self) -> SelfTalkConfig:
        """Check every field; raise :class:`ConfigError` naming the first bad one. Returns self."""
        self.model.validate("model")
        self.recognizer.validate("recognizer")
        self.loss.validate("loss")
        self.train.validate("train")
        if self.recognizer_kind not in ("wav2vec2", "phonemes"):
            raise ConfigError(
                f"recognizer_kind must be wav2vec2 or phonemes, got {self.recognizer_kind!r}"
            )
        if self.recognizer_kind == "phonemes":
            self._validate_phoneme_recognizer()
        elif self.recognizer.pretrained is None:
            if (
                self.loss.uses_diagram
                and self.recognizer.hidden_size != self.model.lip_reader.width
            ):
                raise ConfigError(
                    f"model.lip_reader.width ({self.model.lip_reader.width}) must equal "
                    f"recognizer.hidden_size ({self.recognizer.hidden_size})"
                )
            if self.recognizer.vocab_size != self.model.lip_reader.vocab_size:
                raise ConfigError(
                    f"model.lip_reader.vocab_size ({self.model.lip_reader.vocab_size}) must equal "
                    f"recognizer.vocab_size ({self.recognizer.vocab_size})"
                )
        return self

    def _validate_phoneme_recognizer(self) -> None:
        from selftalk.phonetics import ReadingVocabulary

        reader = self.model.lip_reader
        size = len(ReadingVocabulary(reader.reading))
        if reader.vocab_size != size:
            raise ConfigError(
                f"model.lip_reader.vocab_size ({reader.vocab_size}) must be {size}, the size of "
                f"the {reader.reading!r} reading vocabulary"
            )
        if self.loss.lat > 0 and reader.latent != "posteriors":
            raise ConfigError(
                "with recognizer_kind 'phonemes', L_lat compares posteriors: set "
                "model.lip_reader.latent to 'posteriors' (or loss.lat to 0)"
            )


# --------------------------------------------------------------------------------------------
# Presets

PAPER_RECOGNIZER = "jonatasgrosman/wav2vec2-large-xlsr-53-english"


def xlsr53_large(pretrained: str | None = PAPER_RECOGNIZER) -> SpeechEncoderConfig:
    """wav2vec 2.0 XLSR-53 large (24 layers, 1024-d) as fine-tuned for English CTC.

    With ``pretrained=None`` the fields equal that model's ``config.json`` (its dropouts
    included), so its architecture is built offline, e.g. to import checkpoints that hold it.
    """
    return SpeechEncoderConfig(pretrained=pretrained, hidden_dropout=0.05, layerdrop=0.05)


def vocaset() -> SelfTalkConfig:
    """The paper's VOCASET setting: FLAME topology (5023 vertices, 254 lip vertices), 30 fps."""
    return SelfTalkConfig(
        model=ModelConfig(
            n_vertices=5023,
            n_lip_vertices=254,
            fps=30.0,
            animator=AnimatorConfig(
                encoder=xlsr53_large(),
                alignment="interpolate_cnn",
                feature_dim=512,
                decoder_ff_dim=1024,
            ),
            lip_reader=LipReaderConfig(width=1024, num_layers=6),
        ),
        recognizer=xlsr53_large(),
    )


def biwi() -> SelfTalkConfig:
    """The paper's BIWI setting: 23370 vertices, 4996 lip vertices, 25 fps, stacked frame pairs."""
    config = vocaset()
    config.model.n_vertices, config.model.n_lip_vertices, config.model.fps = 23370, 4996, 25.0
    config.model.animator.alignment = "stack"
    config.model.animator.feature_dim = 1024
    config.model.animator.decoder_ff_dim = 2048
    return config


def vocaset_official() -> SelfTalkConfig:
    """Bit-for-bit the official release's VOCASET model (lip reader: full ``nn.Transformer``)."""
    config = vocaset()
    config.model.lip_reader.architecture = "encoder_decoder"
    return config


def biwi_official() -> SelfTalkConfig:
    """Bit-for-bit the official release's BIWI model (lip reader: full ``nn.Transformer``)."""
    config = biwi()
    config.model.lip_reader.architecture = "encoder_decoder"
    return config


def tiny_encoder(*, vocab_size: int = 33) -> SpeechEncoderConfig:
    """A 2-layer, 32-d wav2vec 2.0 with a 3-layer CNN (still 50 Hz): milliseconds per clip."""
    return SpeechEncoderConfig(
        hidden_size=32,
        num_layers=2,
        num_heads=2,
        intermediate_size=64,
        conv_dim=(32, 32, 32),
        conv_kernel=(10, 8, 4),
        conv_stride=(5, 8, 8),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
        vocab_size=vocab_size,
        hidden_dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        feat_proj_dropout=0.0,
        layerdrop=0.0,
        mask_time_prob=0.0,
    )


def tiny() -> SelfTalkConfig:
    """A model small enough for unit tests and smoke runs (64 vertices, 8 lip vertices)."""
    return SelfTalkConfig(
        model=ModelConfig(
            n_vertices=64,
            n_lip_vertices=8,
            fps=30.0,
            animator=AnimatorConfig(
                encoder=tiny_encoder(),
                feature_dim=32,
                decoder_heads=2,
                decoder_ff_dim=64,
                decoder_dropout=0.0,
            ),
            lip_reader=LipReaderConfig(width=32, num_layers=1, num_heads=2, ff_dim=64, dropout=0.0),
        ),
        recognizer=tiny_encoder(),
        train=TrainConfig(lr=1e-3, epochs=2, amp=False),
    )


def small_encoder(*, num_layers: int = 6) -> SpeechEncoderConfig:
    """A 192-d wav2vec 2.0 with a 96-channel CNN (50 Hz): the bundled recognizer (6 layers,
    about 3.0 M parameters) and, with 3 layers, the bundled animator's audio encoder."""
    return SpeechEncoderConfig(
        hidden_size=192,
        num_layers=num_layers,
        num_heads=4,
        intermediate_size=768,
        conv_dim=(96,) * 7,
        num_conv_pos_embeddings=64,
        num_conv_pos_embedding_groups=16,
        hidden_dropout=0.1,
        attention_dropout=0.1,
        activation_dropout=0.0,
        feat_proj_dropout=0.05,
        layerdrop=0.0,
        mask_time_prob=0.05,
    )


def small() -> SelfTalkConfig:
    """The previous bundled model's setting: a small SelfTalk for CPUs (about 7 M parameters
    for a 4.5 k-vertex head), trained with all four losses and robust audio augmentation. Its
    recognizer and the animator's encoder come from ``selftalk train-recognizer``."""
    return SelfTalkConfig(
        model=ModelConfig(
            n_vertices=4538,
            n_lip_vertices=342,
            fps=30.0,
            animator=AnimatorConfig(
                encoder=small_encoder(num_layers=3),
                feature_dim=192,
                decoder_heads=4,
                decoder_ff_dim=384,
            ),
            lip_reader=LipReaderConfig(width=192, num_layers=6, num_heads=4, ff_dim=768),
        ),
        recognizer=small_encoder(),
        train=TrainConfig(
            lr=3e-4,
            epochs=60,
            batch_size=4,
            scheduler="cosine",
            warmup_steps=100,
            grad_clip=1.0,
            augment=robust_augmentation(),
        ),
    )


def phonemes() -> SelfTalkConfig:
    """The bundled model's setting: an animator that hears through the phoneme recognizer
    (``input: phonemes``; no download, 50 Hz posteriors + prosody → 6 dilated causal
    convolutions with 120 ms look-ahead → one decoder layer over a 1 s causal window → vertex
    head), and the commutative diagram with that same recognizer as the teacher and a lip
    reader that reads visemes. About 7 M parameters for a 4.5 k-vertex head; streams. The
    bundled streaming model is the same with ``animator.lookahead: 2`` (40 ms)."""
    return SelfTalkConfig(
        model=ModelConfig(
            n_vertices=4538,
            n_lip_vertices=342,
            fps=30.0,
            animator=AnimatorConfig(
                input="phonemes",
                feature_dim=256,
                decoder_heads=4,
                decoder_ff_dim=512,
                conv_layers=6,
                lookahead=6,  # 120 ms: lips lead the sound (docs/bundled-model.md)
                attention_window=30,
                head="basis",
                head_rank=128,
            ),
            lip_reader=LipReaderConfig(
                width=128,
                num_layers=2,
                num_heads=4,
                ff_dim=256,
                vocab_size=13,
                reading="visemes",
                conv_layers=2,
                offset_scale=0.001,
                latent="posteriors",
                attention_dropout=0.0,  # as the bundled weights were trained (docs/training.md)
            ),
        ),
        recognizer_kind="phonemes",
        # vertex errors in mm² (the paper's λ on metres would leave gradients at Adam's epsilon
        # for a model this small); the diagram's terms weighed to steer, not to dominate
        loss=LossConfig(rec=1e6, vel=1e6, lat=0.1, ctc=0.001, reader_on_truth=True),
        train=TrainConfig(
            lr=5e-4,  # 1e-3 sat at the edge of stability and trained worse (docs/bundled-model.md)
            epochs=16,  # every seed read recordings better at 16 than at 12 (docs/bundled-model.md)
            batch_size=8,
            length_buckets=True,
            scheduler="cosine",
            warmup_steps=200,
            grad_clip=1.0,  # without it, one run of three diverged in its first epoch
            # one clip over animator and reader let a seed stall (docs/training.md)
            grad_clip_by_module=True,
            augment=robust_augmentation(),
            stream_core=5,
        ),
    )


def tiny_phonemes() -> SelfTalkConfig:
    """:func:`phonemes` shrunk for unit tests (64 vertices, 8 lip vertices, 32-d)."""
    config = phonemes()
    model = config.model
    model.n_vertices, model.n_lip_vertices = 64, 8
    anim = model.animator
    anim.feature_dim, anim.decoder_heads, anim.decoder_ff_dim, anim.decoder_dropout = 32, 2, 64, 0.0
    anim.conv_layers, anim.attention_window, anim.head_rank = 2, 8, 16
    reader = model.lip_reader
    reader.width, reader.num_layers, reader.num_heads, reader.ff_dim = 32, 1, 2, 64
    reader.dropout, reader.conv_layers = 0.0, 1
    config.train = TrainConfig(lr=1e-3, epochs=2, amp=False)
    return config


PRESETS: dict[str, Callable[[], SelfTalkConfig]] = {
    "vocaset": vocaset,
    "biwi": biwi,
    "vocaset-official": vocaset_official,
    "biwi-official": biwi_official,
    "small": small,
    "tiny": tiny,
    "phonemes": phonemes,
    "tiny-phonemes": tiny_phonemes,
}


def preset(name: str) -> SelfTalkConfig:
    """A fresh copy of the named preset."""
    try:
        return PRESETS[name]()
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None


# --------------------------------------------------------------------------------------------
# Overrides, (de)serialisation


def to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a config tree (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def from_dict(cls: type, data: Mapping[str, Any], path: str = "") -> Any:
    """Build config class ``cls`` from a complete or partial dict; unknown keys are errors."""
    return apply_overrides(cls(), data, path=path)


def apply_overrides(config: Any, overrides: Mapping[str, Any], path: str = "") -> Any:
    """Return a copy of ``config`` with the nested ``overrides`` applied, type-checked."""
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{path or 'config'} must be a mapping, got {type(overrides).__name__}")
    overrides = dict(overrides)
    hints = typing.get_type_hints(type(config))
    names = {f.name for f in dataclasses.fields(config)}
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in names:
            raise ConfigError(
                f"unknown config key {_short(where)} (known: {', '.join(sorted(names))})"
            )
        current = changes.get(key, getattr(config, key))
        if dataclasses.is_dataclass(current):
            changes[key] = apply_overrides(current, value, where)
        else:
            changes[key] = _coerce(value, hints[key], where)
    return dataclasses.replace(config, **changes)  # frozen config classes too


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    """``["train.lr=3e-4", "model.fps=25"]`` → nested override dict (values parsed as YAML)."""
    nested: dict[str, Any] = {}
    for item in assignments:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"expected key=value, got {_short(item)}")
        node = nested
        parts = key.strip().split(".")
        for depth, part in enumerate(parts[:-1]):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                where = ".".join(parts[: depth + 1])
                raise ConfigError(f"{where} is given both a value and keys below it")
        try:
            node[parts[-1]] = parse_yaml(raw)
        except ValueError as error:
            raise ConfigError(f"{key.strip()}: {error}") from None
    return nested


def load_overrides(path: str | Path) -> dict[str, Any]:
    """Read a YAML file of overrides (an empty file means none)."""
    from selftalk.errors import InputError, os_problem

    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a folder, not a YAML config file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such config file") from None
    except UnicodeDecodeError:
        raise InputError(path, "not a text file (a YAML config is text)") from None
    except OSError as error:
        raise InputError(path, os_problem(error)) from None
    try:
        data = parse_yaml(text)
    except ValueError as error:
        raise InputError(path, str(error)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(path, "a config file must hold a mapping of overrides")
    return data


#: Nodes a YAML document may hold once its aliases are expanded (an alias bomb holds 2**N).
MAX_YAML_NODES = 100_000


def parse_yaml(text: str) -> Any:
    """Parse YAML overrides safely: no tags, no alias bombs, and ``3e-4`` read as a number (as
    YAML 1.2 and JSON read it). Raises ValueError with a one-line reason."""
    import yaml

    loader = _OverrideLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_YAML_NODES:
            raise ValueError(
                f"the YAML expands to more than {MAX_YAML_NODES:,} values through its "
                "aliases (&anchor / *alias); write the values out"
            )
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        raise ValueError(f"not valid YAML ({_yaml_problem(error)})") from None
    except RecursionError:
        raise ValueError("not valid YAML (nested too deeply)") from None
    finally:
        loader.dispose()


def _expanded_size(root) -> int:
    """Nodes of a composed YAML graph counted as if every alias were copied out (shared nodes
    are counted once per use), computed without copying anything."""
    import yaml

    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes or (not done and id(node) in visiting):
            continue  # counted already, or a cycle (a recursive alias)
        visiting.add(id(node))
        children = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done or not children:
            sizes[id(node)] = min(1 + sum(sizes.get(id(c), 0) for c in children), 1 << 62)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _yaml_problem(error: Exception) -> str:
    problem = getattr(error, "problem", None) or str(error).strip().splitlines()[0]
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


def _make_override_loader():
    import re

    import yaml

    class OverrideLoader(yaml.SafeLoader):
        """SafeLoader that also reads ``3e-4`` as a float."""

    OverrideLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )
    return OverrideLoader


class _LazyLoader:
    """Builds the loader class on first use, so importing this module does not import yaml."""

    _cls = None

    def __call__(self, *args):
        if _LazyLoader._cls is None:
            _LazyLoader._cls = _make_override_loader()
        return _LazyLoader._cls(*args)


_OverrideLoader = _LazyLoader()


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters (values may be huge or deeply nested)."""
    import reprlib

    short = reprlib.Repr()
    short.maxstring = short.maxother = limit
    short.maxlevel, short.maxlist, short.maxdict = 3, 6, 6
    return short.repr(value)[: limit + 20]


def resolve(
    preset_name: str,
    *,
    files: list[str | Path] = (),
    assignments: list[str] = (),
) -> SelfTalkConfig:
    """Preset, then each YAML file, then ``key=value`` assignments; validated."""
    config = preset(preset_name)
    for path in files:
        config = apply_overrides(config, load_overrides(path))
    if assignments:
        config = apply_overrides(config, parse_assignments(list(assignments)))
    return config.validate()


_SCIENTIFIC = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, where)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0])
    if origin is Literal:
        if not isinstance(value, (str, int, float, bool, type(None))) or value not in args:
            raise ConfigError(
                f"{where} must be one of {', '.join(map(repr, args))}, got {_short(value)}"
            )
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where} must be a list, got {_short(value)}")
        item = args[0] if args else Any
        return tuple(_coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {_short(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {_short(value)}")
        return value
    if hint is float:
        if isinstance(value, str) and _SCIENTIFIC.fullmatch(value.strip()):
            value = float(value)  # YAML 1.1 reads 3e-4 (no dot) as a string
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, got {_short(value)}")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ConfigError(f"{where} must be a finite number, got {_short(value)}")
        return number
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, got {_short(value)}")
        return value
    return value


def _positive(path: str, obj: Any, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not (value > 0 and math.isfinite(value)):
            raise ConfigError(f"{path}.{name} must be positive and finite, got {value}")


def _probability(path: str, obj: Any, name: str) -> None:
    value = getattr(obj, name)
    if not 0.0 <= value < 1.0:
        raise ConfigError(f"{path}.{name} must be in [0, 1), got {value}")


def _choice(path: str, obj: Any, name: str, choices: tuple[str, ...]) -> None:
    value = getattr(obj, name)
    if value not in choices:
        raise ConfigError(f"{path}.{name} must be one of {', '.join(choices)}, got {value!r}")
