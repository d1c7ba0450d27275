"""Phone sets and how they map onto each other: ARPAbet, IPA (a phoneme recognizer's tokens)
and visemes (groups of phones whose lips look alike).

- ARPAbet (39 phones, stress removed) plus ``SIL`` is the phone set of SynthTalk's timings and
  of forced alignment.
- :func:`ipa_to_arpabet` maps a recognizer's IPA token to ARPAbet phones (a token can stand
  for several, e.g. ``ja`` → ``Y AA``; diacritics, tones, punctuation and word boundaries map
  to none).
- :data:`VISEMES` groups ARPAbet into 12 classes a lip reader can tell apart.
- :class:`ReadingVocabulary` is what a lip reader reads: the CTC blank, then ``SIL`` and the
  phones (``phonemes``) or the visemes (``visemes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

ARPABET = (
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG "
    "OW OY P R S SH T TH UH UW V W Y Z ZH"
).split()
SILENCE = "SIL"

#: viseme → the ARPAbet phones it groups (lips look alike within a group)
VISEMES: dict[str, tuple[str, ...]] = {
    "SIL": ("SIL",),
    "BMP": ("B", "M", "P"),
    "FV": ("F", "V"),
    "TH": ("TH", "DH"),
    "CH": ("CH", "JH", "SH", "ZH"),
    "W": ("W", "UW", "UH"),
    "R": ("R", "ER"),
    "ALV": ("T", "D", "N", "L", "S", "Z"),
    "VEL": ("K", "G", "NG", "HH", "Y"),
    "OPEN": ("AA", "AE", "AH", "AW", "AY"),
    "SPREAD": ("EH", "EY", "IH", "IY"),
    "ROUND": ("AO", "OW", "OY"),
}
PHONE_TO_VISEME = {phone: name for name, phones in VISEMES.items() for phone in phones}

# IPA symbols (a multilingual recognizer's tokens) → the nearest ARPAbet phone(s). Tokens not
# listed (diacritics, tones, length marks, punctuation, word boundaries) stand for no phone.
_IPA = {
    "a": "AA", "à": "AA", "ä": "AA", "å": "AA", "ã": "AA", "ɑ": "AA", "ɒ": "AA",
    "aɪ": "AY", "aʊ": "AW", "æ": "AE", "ɐ": "AH", "ə": "AH", "ʌ": "AH", "ɘ": "AH", "ɵ": "AH",
    "ᵊ": "AH", "ɤ": "AH", "e": "EH", "eə": "EH", "ɛ": "EH", "ẽ": "EH", "eɪ": "EY",
    "i": "IY", "ì": "IY", "ĩ": "IY", "ǐ": "IY", "ɪ": "IH", "ɨ": "IH", "ɪə": "IH AH",
    "o": "OW", "oʊ": "OW", "õ": "OW", "ɔ": "AO", "ɔɪ": "OY", "u": "UW", "ũ": "UW", "ʉ": "UW",
    "ɯ": "UW", "y": "UW", "ʊ": "UH", "ʏ": "UH", "ø": "ER", "œ": "ER", "ɚ": "ER", "ɜ": "ER",
    "ɝ": "ER", "ɯi": "UW IY",
    "b": "B", "ɓ": "B", "ʙ": "B", "p": "P", "pʰ": "P", "p͈": "P", "m": "M", "ɱ": "M",
    "f": "F", "ɸ": "F", "v": "V", "β": "V", "ʋ": "V", "θ": "TH", "ð": "DH",
    "t": "T", "tʰ": "T", "t͈": "T", "ʈ": "T", "d": "D", "ɖ": "D", "ɗ": "D", "ɾ": "D",
    "n": "N", "ɲ": "N", "l": "L", "ɫ": "L", "ɮ": "L", "ʎ": "L", "s": "S", "s͈": "S",
    "z": "Z", "ẑ": "Z", "ʃ": "SH", "ɕ": "SH", "ʂ": "SH", "ʒ": "ZH", "ʑ": "ZH", "ʐ": "ZH",
    "t͡ʃ": "CH", "t͡ɕ": "CH", "t͡ɕʰ": "CH", "t͡ɕ͈": "CH", "d͡ʒ": "JH",
    "k": "K", "kʰ": "K", "k͈": "K", "c": "K", "g": "G", "ɡ": "G", "ɟ": "G", "ɣ": "G",
    "ŋ": "NG", "ɴ": "NG", "h": "HH", "ɦ": "HH", "x": "HH", "χ": "HH", "ç": "HH", "ħ": "HH",
    "j": "Y", "ʝ": "Y", "ja": "Y AA", "je": "Y EH", "jo": "Y OW", "ju": "Y UW", "jʌ": "Y AH",
    "w": "W", "ɥ": "W", "ɰ": "W", "wa": "W AA", "we": "W EH", "wi": "W IY", "wʌ": "W AH",
    "r": "R", "ɹ": "R", "ɻ": "R", "ɽ": "R", "ʀ": "R", "ʁ": "R",
}  # fmt: skip


def ipa_to_arpabet(token: str) -> tuple[str, ...]:
    """ARPAbet phones an IPA token stands for (empty for diacritics, tones, boundaries…)."""
    return tuple(_IPA.get(token, "").split())


@dataclass(frozen=True)
class ReadingVocabulary:
    """What a lip reader reads: index 0 is the CTC blank, then ``SIL``, then the symbols.

    ``kind`` is ``phonemes`` (ARPAbet, 41 classes) or ``visemes`` (:data:`VISEMES`, 13).
    """

    kind: str = "visemes"

    def __post_init__(self) -> None:
        if self.kind not in ("phonemes", "visemes"):
            raise ValueError(f"a reading vocabulary is 'phonemes' or 'visemes', not {self.kind!r}")

    @cached_property
    def symbols(self) -> tuple[str, ...]:
        """Class names: ``<blank>``, ``SIL``, then phones or visemes."""
        body = ARPABET if self.kind == "phonemes" else [v for v in VISEMES if v != SILENCE]
        return ("<blank>", SILENCE, *body)

    def __len__(self) -> int:
        return len(self.symbols)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.symbols)}

    def of_phone(self, phone: str) -> int:
        """Class index of an ARPAbet phone or ``SIL``."""
        if self.kind == "visemes":
            phone = PHONE_TO_VISEME[phone]
        return self._index[phone]

    def encode(self, phones: Sequence[str], *, merge: bool = True) -> list[int]:
        """Class indices of a phone sequence; ``merge`` joins runs of one class (``P B`` reads
        as one bilabial closure)."""
        out: list[int] = []
        for phone in phones:
            index = self.of_phone(phone)
            if not (merge and out and out[-1] == index):
                out.append(index)
        return out

    def token_matrix(self, tokens: Sequence[str], blank: int) -> np.ndarray:
        """(len(tokens), len(self)) 0/1 matrix summing a recognizer's token posteriors into
        this vocabulary: a token goes to the class of its first phone; tokens that stand for
        no phone (and the recognizer's ``blank``) go to the blank."""
        matrix = np.zeros((len(tokens), len(self)), np.float32)
        for i, token in enumerate(tokens):
            phones = ipa_to_arpabet(token)
            matrix[i, self.of_phone(phones[0]) if phones and i != blank else 0] = 1.0
        return matrix
