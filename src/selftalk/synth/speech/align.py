"""Forced alignment and phone recognition with pocketsphinx (CMU Sphinx, PyPI ``pocketsphinx``).

The wheel ships a US English acoustic model (16 kHz, 10 ms frames), the CMU pronouncing
dictionary and a phone language model, so both work offline:

- :func:`force_align` / :func:`align`: known text → word and phone timings. Words missing
  from the dictionary get a pronunciation from espeak-ng's letter-to-sound rules
  (:func:`selftalk.synth.speech.espeak.phonemize`). Alignment runs in two passes, as
  pocketsphinx requires: word segmentation, then phone/state segmentation.
- :func:`recognize_phones`: phones without text (an all-phone search with the phone
  n-gram), a weak, non-neural baseline.

Times come on a 10 ms grid; the phones are tidied to tile the whole audio.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field

import numpy as np

from selftalk.audio import resample
from selftalk.synth.phones import PHONES, SILENCE, TimedPhone
from selftalk.synth.speech.base import SpeechEngineError, float_to_pcm16
from selftalk.synth.speech.timing import tidy_phones
from selftalk.synth.text import words_for_alignment

PIP_PACKAGE = "pocketsphinx"
MODEL_RATE = 16_000
FRAME_RATE = 100  # frames a second


class AlignmentError(SpeechEngineError):
    """The text could not be aligned to the audio."""


@dataclass(kw_only=True)
class WordTiming:
    """A word of the transcript (``pronunciation`` in ARPAbet) and when it is said."""

    word: str
    start: float
    end: float
    pronunciation: str = ""


@dataclass(kw_only=True)
class AlignmentResult:
    """Forced alignment of one utterance.

    Attributes:
        phones: timed phones tiling the audio (``SIL`` between words and at the ends).
        words: timed words in transcript order (optional silences left out).
        score: total acoustic log-likelihood of the phones (pocketsphinx units).
        frames: number of 10 ms frames aligned.
        added_words: words missing from the dictionary, pronounced by espeak-ng.
    """

    phones: list[TimedPhone]
    words: list[WordTiming]
    score: int
    frames: int
    added_words: dict[str, str] = field(default_factory=dict)

    @property
    def score_per_frame(self) -> float:
        return self.score / max(self.frames, 1)


_lock = threading.Lock()


def _pocketsphinx():
    try:
        import pocketsphinx
    except ImportError:
        raise SpeechEngineError(
            f"pocketsphinx is not installed (pip install {PIP_PACKAGE})"
        ) from None
    return pocketsphinx


def _decoder(kind: str):
    """A new pocketsphinx Decoder: ``align`` (dictionary) or ``phones`` (all-phone search).

    A new one for every utterance (about 80 ms): a decoder carries state from one utterance to
    the next (its cepstral mean estimate, at least), so a reused one made an utterance's
    alignment depend on which utterances the process had decoded before.
    """
    ps = _pocketsphinx()
    options = dict(hmm=ps.get_model_path("en-us/en-us"), loglevel="FATAL", lm=None)
    if kind == "align":
        # bestpath off: its fake one-frame </s> makes the second (phone) pass fail to
        # reach its final state (pocketsphinx issue #339). No pruning (beams 0): the
        # search graph of one known sentence is small, and the default beams lose the
        # path on synthetic voices (espeak-ng) the model has not heard.
        options.update(
            dict=ps.get_model_path("en-us/cmudict-en-us.dict"),
            bestpath=False,
            beam=0.0,
            wbeam=0.0,
            pbeam=0.0,
        )
    else:
        options.update(
            allphone=ps.get_model_path("en-us/en-us-phone.lm.bin"),
            dict=ps.get_model_path("en-us/cmudict-en-us.dict"),
            lw=2.0,
            beam=1e-20,
            pbeam=1e-20,
        )
    return ps.Decoder(ps.Config(**options))


def _pcm(audio: np.ndarray, sample_rate: int) -> tuple[bytes, float]:
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if audio.size == 0:
        raise AlignmentError("the audio is empty")
    return float_to_pcm16(resample(audio, sample_rate, MODEL_RATE)), audio.size / sample_rate


def force_align(audio: np.ndarray, sample_rate: int, text: str) -> AlignmentResult:
    """Align ``text`` to (S,) float ``audio``: phones and words with times in seconds.

    Raises AlignmentError when the text has no words or the search cannot reach its end
    (audio too short for the text, or the text does not match the audio at all).
    """
    words = words_for_alignment(text)
    if not words:
        raise AlignmentError(f"no words to align in {text!r}")
    pcm, duration = _pcm(audio, sample_rate)
    with _lock:
        decoder = _decoder("align")
        added = _ensure_words(decoder, words)
        try:
            decoder.set_align_text(" ".join(words))
            _decode(decoder, pcm)  # pass 1: word segmentation
            if decoder.hyp() is None:
                raise AlignmentError(f"pocketsphinx could not align {text[:60]!r} to the audio")
            decoder.set_alignment()
            _decode(decoder, pcm)  # pass 2: phone and state segmentation
            alignment = decoder.get_alignment()
        except RuntimeError as error:
            raise AlignmentError(f"pocketsphinx could not align {text[:60]!r}: {error}") from None
        if alignment is None:
            raise AlignmentError(f"pocketsphinx could not align {text[:60]!r} to the audio")
        segments, timed_words, score, frames = [], [], 0, 0
        for word in alignment:
            name = word.name.split("(")[0]
            start, end = word.start / FRAME_RATE, (word.start + word.duration) / FRAME_RATE
            frames = max(frames, word.start + word.duration)
            phones = []
            for phone in word:
                label = phone.name if phone.name in PHONES else SILENCE
                segments.append(
                    (label, phone.start / FRAME_RATE, (phone.start + phone.duration) / FRAME_RATE)
                )
                score += phone.score
                phones.append(label)
            if name not in ("<sil>", "<s>", "</s>") and not name.startswith("+"):
                timed_words.append(
                    WordTiming(word=name, start=start, end=end, pronunciation=" ".join(phones))
                )
    if len(timed_words) != len(words):
        raise AlignmentError(
            f"pocketsphinx aligned {len(timed_words)} of {len(words)} words of {text[:60]!r}"
        )
    return AlignmentResult(
        phones=tidy_phones(segments, duration),
        words=timed_words,
        score=score,
        frames=frames,
        added_words=added,
    )


def align(audio: np.ndarray, sample_rate: int, text: str) -> list[TimedPhone]:
    """Forced alignment of ``text`` to (S,) float ``audio``: timed ARPAbet phones tiling it."""
    return force_align(audio, sample_rate, text).phones


def recognize_phones(audio: np.ndarray, sample_rate: int) -> list[TimedPhone]:
    """Phones recognised without text (all-phone search; noise and fillers become ``SIL``)."""
    pcm, duration = _pcm(audio, sample_rate)
    with _lock:
        decoder = _decoder("phones")
        _decode(decoder, pcm)
        segments = [
            (
                seg.word if seg.word in PHONES else SILENCE,
                seg.start_frame / FRAME_RATE,
                (seg.end_frame + 1) / FRAME_RATE,
            )
            for seg in decoder.seg()
        ]
    return tidy_phones(segments, duration)


def _decode(decoder, pcm: bytes) -> None:
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


def pronunciation(word: str) -> str | None:
    """The pocketsphinx dictionary's ARPAbet for ``word`` (lower case), or None."""
    with _lock:
        return _dictionary().lookup_word(word.lower())


@functools.cache
def _dictionary():
    """A decoder kept for dictionary look-ups only (they do not depend on decoding state)."""
    return _decoder("align")


def _ensure_words(decoder, words: list[str]) -> dict[str, str]:
    """Add words missing from the dictionary with espeak-ng's pronunciation."""
    from selftalk.synth.speech import espeak

    added = {}
    for word in dict.fromkeys(words):
        if decoder.lookup_word(word) is not None:
            continue
        try:
            phones = espeak.phonemize(word)
        except SpeechEngineError as error:
            raise AlignmentError(
                f"{word!r} is not in the pocketsphinx dictionary and espeak-ng cannot say it: {error}"
            ) from None
        if not phones:
            raise AlignmentError(f"no pronunciation for {word!r}")
        decoder.add_word(word, " ".join(phones), True)
        added[word] = " ".join(phones)
    return added
