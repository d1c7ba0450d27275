"""A speech backend for tests: buzzy vowel-like audio timed by a tiny hand lexicon."""

from __future__ import annotations

import numpy as np

from selftalk.synth.phones import TimedPhone, Utterance

LEXICON = {
    "bob": "B AA B",
    "map": "M AE P",
    "pop": "P AA P",
    "mom": "M AA M",
    "fifty": "F IH F T IY",
    "five": "F AY V",
    "food": "F UW D",
    "who": "HH UW",
    "woo": "W UW",
    "show": "SH OW",
    "papa": "P AA P AH",
    "baba": "B AA B AH",
    "father": "F AA DH ER",
    "hot": "HH AA T",
    "saw": "S AO",
    "spa": "S P AA",
    "vast": "V AE S T",
    "boom": "B UW M",
}
SENTENCES = [
    "bob saw papa",
    "mom map pop",
    "five fifty food",
    "father who show",
    "hot spa boom",
    "vast baba woo",
    "bob food map",
    "papa hot five",
    "woo mom vast",
    "show pop father",
    "spa five bob",
    "boom fifty mom",
]
RATE = 16_000


def speak(text: str, voice: str, *, source: str = "tts", phone_seconds: float = 0.11) -> Utterance:
    """Phones of a fixed length (varying by voice) with a pitch-changing buzz during vowels."""
    seed = sum(map(ord, voice + text))
    rng = np.random.default_rng(seed)
    scale = 0.8 + 0.4 * (sum(map(ord, voice)) % 7) / 7
    phones: list[TimedPhone] = []
    t = 0.15
    phones.append(TimedPhone("SIL", 0.0, t))
    for word in text.split():
        for p in LEXICON[word].split():
            d = phone_seconds * scale * (1.4 if p[0] in "AEIOU" else 1.0)
            phones.append(TimedPhone(p, t, t + d))
            t += d
    phones.append(TimedPhone("SIL", t, t + 0.2))
    duration = t + 0.2
    n = int(round(duration * RATE))
    time = np.arange(n) / RATE
    f0 = 120 + 40 * np.sin(2 * np.pi * 0.7 * time)
    buzz = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / RATE)) * 0.2
    envelope = np.zeros(n)
    for p in phones:
        if p.phone != "SIL":
            envelope[int(p.start * RATE) : int(p.end * RATE)] = (
                1.0 if p.phone[0] in "AEIOU" else 0.3
            )
    audio = (buzz * envelope + 0.005 * rng.standard_normal(n)).astype(np.float32)
    return Utterance(
        text=text, audio=audio, sample_rate=RATE, phones=phones, voice=voice, source=source
    )


class FakeBackend:
    """The :class:`selftalk.synth.corpus.SpeechBackend` of the tests."""

    def __init__(self, n_voices: int = 4, n_prompts: int = 6):
        self._voices = [f"fake:v{i}" for i in range(n_voices)]
        self._prompts = [
            (f"prompt/{i}", SENTENCES[-1 - i % len(SENTENCES)]) for i in range(n_prompts)
        ]

    def voices(self) -> list[str]:
        return list(self._voices)

    def sentences(self, count: int, seed: int) -> list[str]:
        rng = np.random.default_rng(seed)
        return [SENTENCES[i] for i in rng.integers(len(SENTENCES), size=count)]

    def prompts(self) -> list[tuple[str, str]]:
        return list(self._prompts)

    def synthesize(self, text: str, voice: str) -> Utterance:
        return speak(text, voice)

    def recording(self, prompt_id: str) -> Utterance:
        text = dict(self._prompts)[prompt_id]
        return speak(text, "recorded:fake", source="recorded")
