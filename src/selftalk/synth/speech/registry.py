"""One name space for every voice: ``engine:voice`` strings → :class:`Utterance`.

==========  ================================  ==========================================
engine      voice strings                     timing of the phones
==========  ================================  ==========================================
espeak      ``espeak:en-us``, ``espeak:en+f2`` libespeak-ng phoneme events (sample exact)
flite       ``flite:kal`` … ``flite:slt``      ``-psdur`` segment ends
festival    ``festival:kal|ked|slt``           the utterance's Segment relation
recorded    ``recorded:asterisk``              pocketsphinx forced alignment (not TTS)
==========  ================================  ==========================================

All audio is resampled to 16 kHz (the rate every model in selftalk takes); the engine's own
rate is kept in ``Utterance.extra["native_sample_rate"]``. The same text and voice give the
same samples and phones every time.
"""

from __future__ import annotations

from selftalk.audio import SAMPLE_RATE
from selftalk.synth.phones import Utterance
from selftalk.synth.speech import espeak, festival, flite
from selftalk.synth.speech.base import SpeechEngineError

ENGINES = ("espeak", "flite", "festival")


def list_voices(
    engine: str | None = None, *, installed_only: bool = True, variants: bool = True
) -> list[str]:
    """Voice strings, e.g. ``["espeak:en-us", "espeak:en-us+m1", …, "flite:kal", …]``.

    ``installed_only`` leaves out engines (and Festival voices) that are not installed.
    ``variants=False`` lists each espeak-ng dialect once, without its +m/+f variants.
    """
    if engine is not None and engine not in ENGINES:
        raise SpeechEngineError(f"unknown speech engine {engine!r} (one of {', '.join(ENGINES)})")
    voices: list[str] = []
    if engine in (None, "espeak") and (not installed_only or espeak.available()):
        for dialect in espeak.DIALECTS:
            voices.append(f"espeak:{dialect}")
            if variants:
                voices.extend(f"espeak:{dialect}+{v}" for v in espeak.VARIANTS)
    if engine in (None, "flite") and (not installed_only or flite.available()):
        voices.extend(f"flite:{v}" for v in flite.VOICES)
    if engine in (None, "festival"):
        names = festival.installed_voices() if installed_only and festival.available() else []
        if not installed_only:
            names = sorted(festival.VOICES)
        voices.extend(f"festival:{v}" for v in names)
    return voices


def parse_voice(voice: str) -> tuple[str, str]:
    """``"flite:kal"`` → ("flite", "kal"); raises SpeechEngineError for a malformed string."""
    engine, sep, name = voice.partition(":")
    if not sep or not name or engine not in ENGINES:
        raise SpeechEngineError(
            f"bad voice {voice!r}: expected ENGINE:VOICE with ENGINE one of {', '.join(ENGINES)}"
            " (e.g. espeak:en-us+m3, flite:slt, festival:ked)"
        )
    return engine, name


def synthesize(text: str, voice: str, *, sample_rate: int = SAMPLE_RATE) -> Utterance:
    """Speak ``text`` with ``voice`` (``engine:name``): 16 kHz audio and timed ARPAbet phones."""
    if not text.strip():
        raise SpeechEngineError("nothing to say: the text is empty")
    engine, name = parse_voice(voice)
    module = {"espeak": espeak, "flite": flite, "festival": festival}[engine]
    return module.synthesize(text, name, sample_rate=sample_rate)
