"""The phoneme recognizer: hama's pretrained CTC model (PyPI ``hama``, Apache-2.0), frozen.

16 kHz speech in; log-probabilities over 191 IPA tokens out, one frame every 320 samples
(frame k centred on sample 320·k; ``n // 320 + 1`` frames for ``n`` samples). It runs on its
own CPU engine (numpy in, numpy out, no torch), with the weights shipped in the hama wheel:
nothing is downloaded.

It is run over windows of bounded context (:class:`~selftalk.config.PhonemeRecognizerConfig`):
frames are decided ``core`` at a time from a window that adds ``left_context`` frames before
and ``right_context`` after (hama itself caps one call at 30 s). A stream decides fewer frames
at a time with the same contexts, so it hears almost exactly what offline inference hears.

Two users: the animator hears its posteriors (:meth:`PhonemeRecognizer.features`), and the
commutative diagram reads its transcript and frame posteriors as the lip reader's targets
(:meth:`PhonemeRecognizer.targets`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from selftalk.config import SAMPLE_RATE, PhonemeRecognizerConfig
from selftalk.errors import InputError, SelfTalkError
from selftalk.models.prosody import HOP, frame_count, prosody_features
from selftalk.phonetics import ReadingVocabulary

#: posteriors are floored here before scaling: log-probabilities / 16 lie within [-1, 0]
LOG_FLOOR = -16.0


class PhonemeRecognizer:
    """hama's ASR model in bounded-context windows; see the module docstring."""

    frame_rate = 50.0

    def __init__(self, config: PhonemeRecognizerConfig | None = None, *, threads: int = 2):
        self.config = config or PhonemeRecognizerConfig()
        self.config.validate()
        try:
            from hama.asr import ASRModel
        except ImportError:
            raise SelfTalkError(
                "the phoneme recognizer needs the hama package (pip install hama)"
            ) from None
        weights = self.config.weights
        if weights is not None and not Path(weights).is_file():
            raise InputError(weights, "no such phoneme-recognizer weights file (.hama)")
        try:
            self._model = ASRModel(model_path=weights)
        except Exception as error:  # a damaged or foreign weights file
            raise InputError(weights or "hama", f"cannot load the recognizer ({error})") from None
        self.tokens: list[str] = list(self._model.decoder_tokens)
        self.blank: int = self._model.blank_id
        if len(self.tokens) != self.config.vocab_size:
            raise InputError(
                weights or "hama",
                f"the recognizer has {len(self.tokens)} tokens; the config expects "
                f"{self.config.vocab_size}",
            )
        self.threads = max(1, min(threads, os.cpu_count() or 1))
        self._executor = None
        self._local = threading.local()
        self._owner = threading.get_ident()

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    @cached_property
    def identity(self) -> str:
        """A short hash of the weights, the engine version and the windows (cache keys)."""
        from importlib.metadata import version

        from hama.asr import _read_asr_hama_bytes

        digest = hashlib.sha256(_read_asr_hama_bytes(self.config.weights))
        c = self.config
        digest.update(
            f"hama {version('hama')} {c.left_context} {c.core} {c.right_context} "
            f"{c.input_gain} {len(self.tokens)}".encode()
        )
        return digest.hexdigest()[:16]

    # ----------------------------------------------------------------------------------------
    # Posteriors

    def _run(self, samples: np.ndarray) -> np.ndarray:
        """One engine call: (S,) samples → (S // 320 + 1, U) log-probabilities."""
        wav = np.clip(samples * self.config.input_gain, -1.0, 1.0).astype(np.float32)[None]
        log_probs, lengths = self._session().run(
            ["log_probs", "out_lengths"],
            {"waveform": wav, "waveform_lengths": np.array([wav.shape[1]])},
        )
        return np.asarray(log_probs[0, : int(lengths[0])], np.float32)

    def window(
        self,
        audio: np.ndarray,
        first: int,
        count: int,
        *,
        final: bool = True,
        origin: int = 0,
        contexts: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """Log-probabilities (count, U) of frames ``first`` … ``first + count - 1``, heard through
        one window with the configured contexts.

        ``audio`` holds the samples from frame ``origin``'s centre on (a stream keeps only the
        recent past: ``origin`` must be at most ``first - left_context``, or 0); ``final`` says
        it ends where the speech ends (a stream passes False while more may come, and then
        must hold ``right_context`` frames after the last one asked for); ``contexts``: (left,
        right) frames instead of the configured ones.
        """
        c = self.config
        left, right = contexts or (c.left_context, c.right_context)
        total = origin + frame_count(len(audio))
        lo = max(0, first - left)
        if lo < origin:
            raise ValueError(f"frame {first} needs audio from frame {lo}; it starts at {origin}")
        hi = min(total, first + count + right)
        stop = len(audio) if (final and hi >= total) else (hi - origin) * HOP
        if stop > len(audio):
            raise ValueError(f"frames up to {first + count} need audio up to frame {hi}")
        out = self._run(audio[(lo - origin) * HOP : stop])
        if len(out) < first + count - lo:  # the engine gives n // 320 + 1 frames
            raise SelfTalkError("the phoneme recognizer returned fewer frames than expected")
        return out[first - lo : first - lo + count]

    def log_probs(self, audio: np.ndarray, *, core: int | None = None) -> np.ndarray:
        """(T, U) log-probabilities of (S,) 16 kHz audio, T = S // 320 + 1, decided ``core``
        frames (default: the configured core) at a time; windows run on up to ``threads``
        threads (the engine releases the GIL), each with its own session."""
        core = core or self.config.core
        total = frame_count(len(audio))
        starts = range(0, total, core)
        if self.threads < 2 or len(starts) < 2:
            parts = [self.window(audio, s, min(core, total - s)) for s in starts]
        else:
            parts = list(
                self._pool().map(lambda s: self.window(audio, s, min(core, total - s)), starts)
            )
        return np.concatenate(parts)

    def _pool(self):
        from concurrent.futures import ThreadPoolExecutor

        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="ears")
        return self._executor

    def _session(self):
        """This thread's engine session: the model's own in the thread that built it, a new one
        in each other thread (a session is not shared between threads)."""
        if threading.get_ident() == self._owner:
            return self._model.session
        session = getattr(self._local, "session", None)
        if session is None:
            from hama.asr import ASRModel

            session = self._local.session = ASRModel(model_path=self.config.weights).session
        return session

    # ----------------------------------------------------------------------------------------
    # What the animator hears

    def features(self, audio: np.ndarray, *, prosody: bool = True) -> np.ndarray:
        """(T, U [+ 11]) the animator's input: log-probabilities floored at -16 and scaled to
        [-1, 0], then the prosody features (:mod:`selftalk.models.prosody`)."""
        log_probs = self.log_probs(audio)
        extra = prosody_features(audio, 0, len(log_probs)) if prosody else None
        return make_features(log_probs, extra)

    # ----------------------------------------------------------------------------------------
    # What the lip reader is taught

    def reading_matrix(self, vocabulary: ReadingVocabulary) -> np.ndarray:
        """(U, K) 0/1 matrix summing token posteriors into the reading vocabulary."""
        return vocabulary.token_matrix(self.tokens, self.blank)

    def targets(
        self,
        log_probs: np.ndarray,
        level: np.ndarray,
        vocabulary: ReadingVocabulary,
        *,
        max_gap: int = 5,
        silence_db: float = 35.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The diagram's targets from (T, U) log-probabilities and (T,) prosody level.

        Returns:
            token_ids: (T,) the greedy path in the reading vocabulary (0 = blank): its CTC
                collapse is the pseudo transcript.
            frames: (T,) a class for every frame: CTC is peaky (mostly blank), so a blank
                frame takes the class of the nearest emission within ``max_gap`` frames, and
                frames quieter than ``silence_db`` below the clip's loud frames are ``SIL``.
        """
        grouped = np.exp(log_probs) @ self.reading_matrix(vocabulary)
        token_ids = grouped.argmax(1)
        frames = nearest_emission(token_ids, max_gap)
        db = level * 25 - 50  # undo the prosody scaling
        loud = np.percentile(db, 95) if len(db) else 0.0
        silent = db < loud - silence_db
        frames[(frames == 0) | silent] = vocabulary.of_phone("SIL")
        return token_ids.astype(np.int64), frames.astype(np.int64)


def make_features(log_probs: np.ndarray, prosody: np.ndarray | None = None) -> np.ndarray:
    """(T, U [+ 11]) animator input: (T, U) log-probabilities floored and scaled to [-1, 0],
    then (T, 11) prosody features if given."""
    scaled = np.maximum(np.asarray(log_probs, np.float32), LOG_FLOOR) / -LOG_FLOOR
    parts = [scaled] if prosody is None else [scaled, np.asarray(prosody, np.float32)]
    return np.concatenate(parts, 1).astype(np.float32)


def nearest_emission(token_ids: np.ndarray, max_gap: int) -> np.ndarray:
    """(T,) each blank (0) frame takes the token of the nearest non-blank frame within
    ``max_gap`` frames (the earlier one on a tie); blanks farther from any stay 0."""
    n = len(token_ids)
    emitted = np.flatnonzero(token_ids != 0)
    out = token_ids.copy()
    if n == 0 or len(emitted) == 0:
        return out
    positions = np.arange(n)
    after = np.searchsorted(emitted, positions)
    prev = emitted[np.clip(after - 1, 0, len(emitted) - 1)]
    nxt = emitted[np.clip(after, 0, len(emitted) - 1)]
    d_prev = np.where(after > 0, positions - prev, n + 1)
    d_next = np.where(after < len(emitted), nxt - positions, n + 1)
    nearest = np.where(d_prev <= d_next, prev, nxt)
    gap = np.minimum(d_prev, d_next)
    fill = (token_ids == 0) & (gap <= max_gap)
    out[fill] = token_ids[nearest[fill]]
    return out


def analyse(
    recognizer: PhonemeRecognizer, audio: np.ndarray, *, core: int | None = None
) -> dict[str, np.ndarray]:
    """What is kept of one clip: log-probabilities (T, U) float16 (windows of ``core`` frames,
    default the configured one) and prosody (T, 11)."""
    log_probs = recognizer.log_probs(audio, core=core)
    return {
        "log_probs": log_probs.astype(np.float16),
        "prosody": prosody_features(audio, 0, len(log_probs)),
    }


class PhonemeTeacher:
    """The phoneme recognizer as the commutative diagram's frozen teacher: per clip, a pseudo
    transcript (greedy CTC, repeats of a class merged) and a class for every frame, in the lip
    reader's reading vocabulary. Used where the diagram would use a
    :class:`~selftalk.models.recognizer.SpeechRecognizer`."""

    def __init__(self, recognizer: PhonemeRecognizer, vocabulary: ReadingVocabulary):
        self.recognizer = recognizer
        self.vocabulary = vocabulary

    def identity(self) -> str:
        return self.recognizer.identity

    def to(self, device) -> PhonemeTeacher:  # numpy engine: nothing to move
        return self

    def output(self, entries: list[dict[str, np.ndarray]], device="cpu"):
        """A :class:`~selftalk.models.recognizer.RecognizerOutput` of a batch of
        :func:`analyse` entries: ``hidden`` (B, T, K) one-hot frame classes (the latent
        loss's target), ``token_ids`` (B, T) the greedy path."""
        import torch

        from selftalk.models.recognizer import RecognizerOutput

        lengths = torch.tensor([len(e["log_probs"]) for e in entries])
        width, k = int(lengths.max()), len(self.vocabulary)
        hidden = torch.zeros(len(entries), width, k)
        token_ids = torch.zeros(len(entries), width, dtype=torch.long)
        for i, e in enumerate(entries):
            tokens, frames = self.recognizer.targets(
                e["log_probs"].astype(np.float32), e["prosody"][:, 0], self.vocabulary
            )
            n = len(tokens)
            token_ids[i, :n] = torch.from_numpy(tokens)
            hidden[i, torch.arange(n), torch.from_numpy(frames)] = 1.0
        return RecognizerOutput(
            hidden=hidden.to(device),
            token_ids=token_ids.to(device),
            lengths=lengths.to(device),
            delimiter=None,
            merge=self.vocabulary.kind == "visemes",
        )

    def __call__(self, audio, audio_lengths=None):
        """Recognise (B, S) 16 kHz speech as it comes (no cache)."""
        rows = audio.detach().cpu().numpy()
        n = audio_lengths.tolist() if audio_lengths is not None else [rows.shape[1]] * len(rows)
        entries = [analyse(self.recognizer, row[:m]) for row, m in zip(rows, n)]
        return self.output(entries, audio.device)


#: Seconds by which the recognizer's phone runs start after the phones a forced alignment of
#: the true transcript finds. Measured on SynthTalk's held-out clips, lip sync from its phones
#: correlates best with lip sync from the aligned transcript when moved 0.94 (unseen voices)
#: and 0.79 (recordings) of a 30 fps frame earlier (mouth-opening r 0.694 → 0.756 and
#: 0.762 → 0.787 for a whole frame): CTC emits a phone once it has heard some of it.
RECOGNITION_LAG = 0.03


def recognized_phones(recognizer: PhonemeRecognizer, audio: np.ndarray, *, lag=RECOGNITION_LAG):
    """Timed ARPAbet phones heard in (S,) 16 kHz audio, no transcript: the recognizer's frame
    classes (:meth:`PhonemeRecognizer.targets`, blanks given to the nearest phone, quiet frames
    silent) as runs, each boundary moved ``lag`` seconds earlier; a list of
    :class:`~selftalk.synth.phones.TimedPhone` tiling the audio."""
    from selftalk.synth.phones import TimedPhone

    vocabulary = ReadingVocabulary("phonemes")
    entry = analyse(recognizer, audio)
    _, frames = recognizer.targets(
        entry["log_probs"].astype(np.float32), entry["prosody"][:, 0], vocabulary
    )
    duration = len(audio) / SAMPLE_RATE
    edges = np.flatnonzero(np.diff(frames)) + 1
    starts, ends = np.r_[0, edges], np.r_[edges, len(frames)]
    phones = []
    for a, b in zip(starts, ends):
        start = 0.0 if a == 0 else max(0.0, (a - 0.5) * HOP / SAMPLE_RATE - lag)
        end = duration if b == len(frames) else min(duration, (b - 0.5) * HOP / SAMPLE_RATE - lag)
        if end > start:
            phones.append(TimedPhone(vocabulary.symbols[frames[a]], start, end))
    return phones
