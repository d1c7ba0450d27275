"""The corpus's real speech: TTS engines and recorded prompts of :mod:`selftalk.synth.speech`.

``SynthSpeech`` adapts the engines to :class:`selftalk.synth.corpus.SpeechBackend`. Voices
are named ``engine:voice`` (``espeak:en-us+m3``, ``flite:kal``, ``festival:slt``); recorded
prompts are named by their prompt id and speak with the voice ``recorded:asterisk``.
"""

from __future__ import annotations

import importlib
from functools import cached_property

from selftalk.errors import ConfigError
from selftalk.synth.phones import Utterance

# espeak-ng English voices and variants (male, female, other accents) used by default: every
# English accent espeak-ng has, with as many distinct timbres as its variants give.
ESPEAK_VOICES = (
    "en-us",
    "en-us+m3",
    "en-us+f3",
    "en-us+f4",
    "en-gb-x-rp+m5",
    "en-gb-scotland+f2",
    "en-us-nyc+m1",
    "en+m2",
    "en+f1",
    "en-us+m6",
    "en-us+f5",
    "en-us+m8",
    "en-029+m4",
    "en-gb-x-gbclan+f2",
    "en-gb-x-gbcwmd+m7",
    "en-gb-x-rp+f4",
    "en-gb-scotland+m8",
    "en-us-nyc+f1",
    "en-us+klatt4",
    "en-us+Andy",
    "en-us+edward",
)
ENGINES = ("espeak", "flite", "festival")


def _module(name: str):
    return importlib.import_module(f"selftalk.synth.speech.{name}")


class SynthSpeech:
    """Speech for a corpus from the engines installed here (picklable for worker processes)."""

    def __init__(self, *, engines: tuple[str, ...] = ENGINES, recorded: bool = True):
        unknown = set(engines) - set(ENGINES)
        if unknown:
            raise ConfigError(f"unknown speech engines: {', '.join(sorted(unknown))}")
        self.engines = engines
        self.use_recorded = recorded

    def voices(self) -> list[str]:
        out = []
        for engine in self.engines:
            try:
                mod = _module(engine)
                if not mod.available():
                    continue
            except Exception:  # an engine that cannot even load simply offers no voice
                continue
            if engine == "espeak":
                out += [f"espeak:{v}" for v in ESPEAK_VOICES]
            elif engine == "flite":
                out += [f"flite:{v}" for v in mod.VOICES if v != "kal16"]
            else:
                out += [f"festival:{v}" for v in mod.installed_voices()]
        return out

    def sentences(self, count: int, seed: int) -> list[str]:
        return importlib.import_module("selftalk.synth.text").generate_sentences(count, seed=seed)

    @cached_property
    def _prompts(self) -> dict:
        if not self.use_recorded:
            return {}
        try:
            recorded = _module("recorded")
            prompts = recorded.list_prompts()
        except Exception:  # no recorded prompts installed: a TTS-only corpus
            return {}
        return {p.name: p for p in prompts if p.is_speech}

    def prompts(self) -> list[tuple[str, str]]:
        return sorted((name, p.text) for name, p in self._prompts.items())

    def synthesize(self, text: str, voice: str) -> Utterance:
        engine, _, name = voice.partition(":")
        if engine not in self.engines:
            raise ConfigError(
                f"unknown voice {voice!r}: expected engine:voice, engine one of "
                + ", ".join(self.engines)
            )
        return _module(engine).synthesize(text, name)

    def recording(self, prompt_id: str) -> Utterance:
        return _module("recorded").load_recorded(self._prompts[prompt_id])

    def __getstate__(self):  # the prompt table is rebuilt in each worker
        return {"engines": self.engines, "use_recorded": self.use_recorded}

    def __setstate__(self, state):
        self.__dict__.update(state)
