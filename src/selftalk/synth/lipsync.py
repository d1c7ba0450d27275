"""Text-aware lip sync of any speech: forced alignment, then the SynthTalk animator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.arkit import ALPHABETICAL, write_curves
from selftalk.audio import SAMPLE_RATE, load_audio
from selftalk.errors import ConfigError, InputError, SelfTalkError
from selftalk.io import save_npy
from selftalk.synth.animator import AnimatorOptions, animate
from selftalk.synth.head import load_head
from selftalk.synth.phones import TimedPhone
from selftalk.synth.subjects import SpeakingStyle, make_subjects


@dataclass(frozen=True, kw_only=True)
class LipSync:
    """``vertices`` (T, V, 3) float32, ``weights`` (T, 52) float32, the aligned ``phones``."""

    vertices: np.ndarray
    weights: np.ndarray
    phones: list[TimedPhone]


def lipsync(
    audio_path: str | Path,
    text: str,
    *,
    fps: float = 30.0,
    subject: int | None = None,
    seed: int = 0,
) -> LipSync:
    """Align ``text`` to the speech in ``audio_path`` and animate the bundled head."""
    if not text.strip():
        raise ConfigError("--text is empty: lip sync needs the words that are said")
    audio = load_audio(audio_path, SAMPLE_RATE)
    from selftalk.synth.speech.align import align

    try:
        phones = align(audio, SAMPLE_RATE, text)
    except InputError:
        raise
    except SelfTalkError as error:  # an AlignmentError: the words could not be found
        raise InputError(audio_path, str(error)) from None
    return animate_phones(phones, audio, fps=fps, subject=subject, seed=seed)


RECOGNIZERS = ("hama", "pocketsphinx")


def recognize(audio: np.ndarray, recognizer: str = "hama") -> list[TimedPhone]:
    """Timed phones of (S,) 16 kHz speech without a transcript: hama's neural phoneme
    recognizer (default: it measures better, benchmarks/bundled_model.py) or pocketsphinx's
    all-phone search."""
    if recognizer == "pocketsphinx":
        from selftalk.synth.speech.align import recognize_phones

        return recognize_phones(audio, SAMPLE_RATE)
    if recognizer != "hama":
        raise ConfigError(
            f"--recognizer must be one of {', '.join(RECOGNIZERS)}, not {recognizer!r}"
        )
    from selftalk.models.phoneme_recognizer import PhonemeRecognizer, recognized_phones

    return recognized_phones(PhonemeRecognizer(), audio)


def lipsync_without_text(
    audio_path: str | Path,
    *,
    fps: float = 30.0,
    subject: int | None = None,
    seed: int = 0,
    recognizer: str = "hama",
) -> LipSync:
    """Recognise phones in ``audio_path`` without a transcript, then animate the bundled head."""
    audio = load_audio(audio_path, SAMPLE_RATE)
    phones = recognize(audio, recognizer)
    return animate_phones(phones, audio, fps=fps, subject=subject, seed=seed)


def animate_phones(
    phones: list[TimedPhone],
    audio: np.ndarray,
    *,
    fps: float = 30.0,
    subject: int | None = None,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
) -> LipSync:
    """Animate aligned phones over (S,) audio.

    ``subject``: subject number (1-based) of ``seed`` (its face and style); None: the neutral head.
    """
    head = load_head()
    style, template = SpeakingStyle(), head.template
    if subject is not None:
        if subject < 1:
            raise ConfigError(f"--subject counts from 1, got {subject}")
        chosen = make_subjects(head, subject, seed=seed)[-1]
        style, template = chosen.style, chosen.template
    duration = len(audio) / sample_rate
    weights = animate(
        phones,
        duration,
        style=style,
        options=AnimatorOptions(fps=fps, seed=seed),
        audio=audio,
        sample_rate=sample_rate,
    )
    return LipSync(vertices=head.pose(weights, template), weights=weights, phones=list(phones))


#: What :func:`write_weights` writes, by suffix.
WEIGHT_SUFFIXES = (".csv", ".json", ".npy")


def write_weights(path: str | Path, weights: np.ndarray, fps: float) -> None:
    """Write (T, 52) ARKit weights (:data:`~selftalk.arkit.ALPHABETICAL` columns, as the
    animator makes them): ``.csv`` in Live Link Face's layout or ``.json`` (both with the
    columns in Live Link order, :func:`selftalk.arkit.write_curves`), or ``.npy`` as they are
    (alphabetical, like SynthTalk's ``arkit/`` arrays)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        save_npy(path, weights)
    elif suffix in (".csv", ".json"):
        write_curves(path, weights, fps=fps, order=ALPHABETICAL)
    else:
        raise InputError(path, "ARKit weights go to .csv, .json or .npy")
