"""What every speech engine shares: its error, resampling and assembling an ``Utterance``."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from selftalk.audio import SAMPLE_RATE, resample
from selftalk.errors import SelfTalkError
from selftalk.synth.phones import Utterance
from selftalk.synth.speech.timing import tidy_phones


class SpeechEngineError(SelfTalkError):
    """A speech engine is not installed, rejects a voice, or fails on a text."""


def make_utterance(
    *,
    text: str,
    audio: np.ndarray,
    native_rate: int,
    segments: Iterable[tuple[str, float, float]],
    voice: str,
    source: str = "tts",
    extra: dict | None = None,
    sample_rate: int | None = SAMPLE_RATE,
) -> Utterance:
    """Resample (S,) audio from ``native_rate`` to ``sample_rate`` and tidy the phones.

    Phone times are in seconds, so they do not change with resampling; they are clipped to
    the resampled duration. ``sample_rate=None`` keeps the engine's native rate.
    """
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    rate = native_rate if sample_rate is None else sample_rate
    audio = resample(audio, native_rate, rate)
    duration = len(audio) / rate
    info = {"native_sample_rate": int(native_rate), **(extra or {})}
    return Utterance(
        text=text,
        audio=audio,
        sample_rate=int(rate),
        phones=tidy_phones(segments, duration),
        voice=voice,
        source=source,
        extra=info,
    )


def pcm16_to_float(pcm: bytes | np.ndarray) -> np.ndarray:
    """Signed 16-bit samples → (S,) float32 in [-1, 1)."""
    samples = np.frombuffer(pcm, dtype=np.int16) if isinstance(pcm, bytes) else pcm
    return samples.astype(np.float32) / 32768.0


def float_to_pcm16(audio: np.ndarray) -> bytes:
    """(S,) float audio in [-1, 1] → little-endian signed 16-bit bytes (clipped)."""
    return (np.clip(audio, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes()
