"""Timed phones and utterances: the interface between speech sources and the lip animator.

Every speech source (espeak-ng, flite, festival, recorded speech with forced alignment) maps
its own phone set to ARPAbet (39 phones, stress removed) plus ``SIL`` for silence and pauses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from selftalk.phonetics import ARPABET, SILENCE

PHONES = frozenset(ARPABET) | {SILENCE}


@dataclass(frozen=True)
class TimedPhone:
    """One phone: ARPAbet symbol (or ``SIL``) spoken from ``start`` to ``end`` seconds."""

    phone: str
    start: float
    end: float

    def __post_init__(self) -> None:
        if self.phone not in PHONES:
            raise ValueError(
                f"unknown phone {self.phone!r}: expected ARPAbet without stress or SIL"
            )
        if not self.end >= self.start >= 0:
            raise ValueError(f"bad phone timing {self.start}..{self.end} for {self.phone}")


@dataclass(kw_only=True)
class Utterance:
    """Speech with its text and phone timings.

    Attributes:
        text: what is said.
        audio: (S,) float32 mono samples.
        sample_rate: samples per second of ``audio``.
        phones: timed phones covering the audio, in order.
        voice: engine and voice, e.g. ``espeak:en-us+m3``, ``flite:kal``, ``recorded:asterisk``.
        source: ``"tts"`` or ``"recorded"``.
        extra: anything else a source knows (word timings, pitch, …).
    """

    text: str
    audio: np.ndarray
    sample_rate: int
    phones: list[TimedPhone]
    voice: str
    source: str = "tts"
    extra: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate
