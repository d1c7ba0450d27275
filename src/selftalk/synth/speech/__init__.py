"""Speech with phone timings for SynthTalk: TTS engines, recorded prompts, forced alignment.

    >>> from selftalk.synth.speech import list_voices, synthesize, align
    >>> utt = synthesize("Bob met a pop star.", "espeak:en-us+m3")
    >>> utt.phones[:3]   # TimedPhone(phone, start s, end s), ARPAbet + SIL, tiling the audio
    >>> align(utt.audio, utt.sample_rate, utt.text)   # forced alignment on any speech

See docs/speech-sources.md for the engines, voices, timing accuracy and licences.
"""

from selftalk.synth.speech.align import (
    AlignmentError,
    AlignmentResult,
    WordTiming,
    align,
    force_align,
    recognize_phones,
)
from selftalk.synth.speech.base import SpeechEngineError
from selftalk.synth.speech.registry import ENGINES, list_voices, parse_voice, synthesize

__all__ = [
    "ENGINES",
    "AlignmentError",
    "AlignmentResult",
    "SpeechEngineError",
    "WordTiming",
    "align",
    "force_align",
    "list_voices",
    "parse_voice",
    "recognize_phones",
    "synthesize",
]
