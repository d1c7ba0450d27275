"""Phone sets of the speech engines, mapped to ARPAbet (39 phones, no stress) plus ``SIL``.

Three source phone sets:

- **IPA from espeak-ng** (``IPA_TO_ARPABET``): espeak-ng reports one IPA string a phoneme,
  e.g. ``ɑːɹ`` (the r-coloured vowel of American "star") or ``aɪ``. A string is split
  greedily into the longest units this table knows, so ``ɑːɹ`` becomes AA + R.
- **Festival's ``radio`` phone set** (US voices kal, ked, slt; flite uses the same symbols):
  ARPAbet in lower case with a few extra symbols (``ax``, ``axr``, ``dx``, ``el``, ``en``…).
- **Festival's ``mrpa`` phone set** (British voices such as rab or roger): Edinburgh
  symbols (``uh`` is the STRUT vowel, ``@@`` NURSE, ``e@`` SQUARE…).

Where ARPAbet has no symbol (British LOT /ɒ/, centring diphthongs /ɪə eə ʊə/, syllabic
consonants, flaps, glottal stops) we use what CMUdict writes for the same word, so the
labels agree with the pocketsphinx dictionary used for forced alignment:
/ɒ/ → AA ("Bob" B AA B), /ɪə/ → IH AH, syllabic /n̩/ → AH N ("button" B AH T AH N),
the flap /ɾ/ and the glottal stop /ʔ/ → T ("better" B EH T ER).
"""

from __future__ import annotations

import functools
import unicodedata

from selftalk.synth.phones import ARPABET, SILENCE

# Each entry: source symbol → one or more ARPAbet phones. Vowels and diphthongs first.
IPA_TO_ARPABET: dict[str, tuple[str, ...]] = {
    # monophthongs
    "ɑ": ("AA",),
    "ɑː": ("AA",),
    "ɒ": ("AA",),
    "ɒː": ("AA",),
    "a": ("AE",),
    "aː": ("AA",),
    "æ": ("AE",),
    "ʌ": ("AH",),
    "ə": ("AH",),
    "ɐ": ("AH",),
    "ɐː": ("AH",),
    "əl": ("AH", "L"),
    "ɔ": ("AO",),
    "ɔː": ("AO",),
    "o": ("OW",),
    "oː": ("OW",),
    "ɛ": ("EH",),
    "ɛː": ("EH",),
    "e": ("EH",),
    "eː": ("EY",),
    "ɜ": ("ER",),
    "ɜː": ("ER",),
    "ɚ": ("ER",),
    "ɝ": ("ER",),
    "ɪ": ("IH",),
    "ᵻ": ("IH",),
    "ɨ": ("IH",),
    "i": ("IY",),
    "iː": ("IY",),
    "ʊ": ("UH",),
    "u": ("UW",),
    "uː": ("UW",),
    "ʉ": ("UW",),
    "ʉː": ("UW",),
    "y": ("UW",),
    "ø": ("ER",),
    # diphthongs
    "aɪ": ("AY",),
    "ɑɪ": ("AY",),
    "ʌɪ": ("AY",),
    "ɐɪ": ("AY",),
    "aʊ": ("AW",),
    "ɑʊ": ("AW",),
    "ʌʊ": ("AW",),
    "eɪ": ("EY",),
    "ɛɪ": ("EY",),
    "oʊ": ("OW",),
    "əʊ": ("OW",),
    "ɔʊ": ("OW",),
    "ɔɪ": ("OY",),
    "oɪ": ("OY",),
    "ei": ("EY",),
    "aa": ("AA",),
    "æʊ": ("AW",),
    "əu": ("OW",),
    "əɪ": ("AY",),
    "ʌʉ": ("AW",),
    "əɹ": ("ER",),
    "ʲ": ("Y",),
    "ɪə": ("IH", "AH"),
    "iə": ("IY", "AH"),
    "eə": ("EH", "AH"),
    "ɛə": ("EH", "AH"),
    "ʊə": ("UH", "AH"),
    "aɪə": ("AY", "AH"),
    "aʊə": ("AW", "AH"),
    "ɪɹ": ("IH", "R"),
    "ɛɹ": ("EH", "R"),
    "ʊɹ": ("UH", "R"),
    "ɔːɹ": ("AO", "R"),
    "ɑːɹ": ("AA", "R"),
    "oːɹ": ("AO", "R"),
    "ɔɹ": ("AO", "R"),
    "iɹ": ("IY", "R"),
    "aɪɚ": ("AY", "ER"),
    "aʊɚ": ("AW", "ER"),
    # consonants
    "b": ("B",),
    "d": ("D",),
    "f": ("F",),
    "ɡ": ("G",),
    "g": ("G",),
    "h": ("HH",),
    "ɦ": ("HH",),
    "j": ("Y",),
    "k": ("K",),
    "l": ("L",),
    "ɫ": ("L",),
    "ʎ": ("L",),
    "m": ("M",),
    "n": ("N",),
    "ɲ": ("N",),
    "ŋ": ("NG",),
    "p": ("P",),
    "ɹ": ("R",),
    "r": ("R",),
    "ɾ": ("T",),
    "ɽ": ("R",),
    "s": ("S",),
    "ʃ": ("SH",),
    "t": ("T",),
    "θ": ("TH",),
    "ð": ("DH",),
    "v": ("V",),
    "w": ("W",),
    "ʍ": ("W",),
    "z": ("Z",),
    "ʒ": ("ZH",),
    "tʃ": ("CH",),
    "dʒ": ("JH",),
    "x": ("HH",),
    "ç": ("HH",),
    "ʔ": ("T",),
    "ts": ("T", "S"),
    "dz": ("D", "Z"),
    "ɬ": ("L",),
    "β": ("V",),
    "ɣ": ("G",),
    # syllabic consonants (the combining mark U+0329 is kept by the tokenizer)
    "n̩": ("AH", "N"),
    "l̩": ("AH", "L"),
    "m̩": ("AH", "M"),
    "ɹ̩": ("ER",),
}

# Festival "radio" (US) phone set; flite prints the same symbols.
RADIO_TO_ARPABET: dict[str, tuple[str, ...]] = {
    **{p.lower(): (p,) for p in ARPABET},
    "ax": ("AH",),
    "axr": ("ER",),
    "ix": ("IH",),
    "ux": ("UW",),
    "dx": ("T",),
    "nx": ("N",),
    "el": ("AH", "L"),
    "em": ("AH", "M"),
    "en": ("AH", "N"),
    "h": ("HH",),
    "hv": ("HH",),
    "q": ("T",),
    "pau": (SILENCE,),
    "h#": (SILENCE,),
    "brth": (SILENCE,),
    "sil": (SILENCE,),
    "ssil": (SILENCE,),
}

# Festival "mrpa" (British) phone set.
MRPA_TO_ARPABET: dict[str, tuple[str, ...]] = {
    "uh": ("AH",),
    "e": ("EH",),
    "a": ("AE",),
    "o": ("AA",),
    "i": ("IH",),
    "u": ("UH",),
    "ii": ("IY",),
    "uu": ("UW",),
    "oo": ("AO",),
    "aa": ("AA",),
    "@@": ("ER",),
    "@": ("AH",),
    "ai": ("AY",),
    "ei": ("EY",),
    "oi": ("OY",),
    "au": ("AW",),
    "ou": ("OW",),
    "e@": ("EH", "AH"),
    "i@": ("IH", "AH"),
    "u@": ("UH", "AH"),
    "p": ("P",),
    "t": ("T",),
    "k": ("K",),
    "b": ("B",),
    "d": ("D",),
    "g": ("G",),
    "m": ("M",),
    "n": ("N",),
    "ng": ("NG",),
    "f": ("F",),
    "v": ("V",),
    "th": ("TH",),
    "dh": ("DH",),
    "s": ("S",),
    "z": ("Z",),
    "sh": ("SH",),
    "zh": ("ZH",),
    "h": ("HH",),
    "ch": ("CH",),
    "jh": ("JH",),
    "l": ("L",),
    "r": ("R",),
    "w": ("W",),
    "y": ("Y",),
    "#": (SILENCE,),
    "pau": (SILENCE,),
    "sil": (SILENCE,),
}

FESTIVAL_PHONESETS = {"radio": RADIO_TO_ARPABET, "mrpa": MRPA_TO_ARPABET}

_VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
_IPA_MAX = max(len(k) for k in IPA_TO_ARPABET)
# Marks that carry no segmental information: stress, length on its own, tie bars, etc.
_IPA_IGNORED = frozenset("ˈˌ‿͡-_'’.|‖")


class UnknownPhoneError(ValueError):
    """A source phone symbol that no table maps to ARPAbet."""


@functools.lru_cache(maxsize=4096)
def ipa_to_arpabet(ipa: str) -> tuple[str, ...]:
    """Map one espeak-ng IPA phoneme string (e.g. ``"ɑːɹ"``) to ARPAbet phones.

    Returns ``("SIL",)`` for an empty string (espeak's pauses). Raises UnknownPhoneError
    for a symbol that is not in the table even after dropping its diacritics.
    """
    text = unicodedata.normalize("NFC", ipa).replace(":", "ː")  # some voices write length as ':'
    text = "".join(ch for ch in text if ch not in _IPA_IGNORED)
    if not text.strip():
        return (SILENCE,)
    phones: list[str] = []
    i = 0
    while i < len(text):
        for size in range(min(_IPA_MAX, len(text) - i), 0, -1):
            unit = text[i : i + size]
            if unit in IPA_TO_ARPABET:
                phones.extend(IPA_TO_ARPABET[unit])
                i += size
                break
        else:
            base = _strip_diacritics(text[i])
            if base in IPA_TO_ARPABET:
                phones.extend(IPA_TO_ARPABET[base])
            elif base and unicodedata.category(base) not in ("Lm", "Sk", "Mn"):
                # modifier letters (length ː, palatal ʲ, aspiration ʰ) only colour a phone
                raise UnknownPhoneError(f"espeak-ng phoneme {ipa!r}: no ARPAbet for {text[i]!r}")
            i += 1
    # one source phoneme never stands for the same phone twice in a row ("aa" is one AA)
    merged = [p for k, p in enumerate(phones) if k == 0 or p != phones[k - 1]]
    return tuple(merged) or (SILENCE,)


def festival_to_arpabet(symbol: str, phoneset: str = "radio") -> tuple[str, ...]:
    """Map one Festival (or flite) segment name in ``phoneset`` to ARPAbet phones."""
    table = FESTIVAL_PHONESETS.get(phoneset)
    if table is None:
        raise UnknownPhoneError(f"unknown Festival phone set {phoneset!r}")
    try:
        return table[symbol.lower()]
    except KeyError:
        raise UnknownPhoneError(f"{phoneset} phone {symbol!r} has no ARPAbet mapping") from None


def split_interval(
    phones: tuple[str, ...], start: float, end: float
) -> list[tuple[str, float, float]]:
    """Share ``start..end`` among ``phones``: a vowel weighs 2, any other phone 1.

    One source phoneme that stands for several ARPAbet phones (``ɑːɹ`` → AA R) has one
    interval; we have no finer timing, so a vowel gets twice a consonant's share.
    """
    weights = [2.0 if p in _VOWELS else 1.0 for p in phones]
    total = sum(weights)
    out, t = [], start
    for phone, weight in zip(phones, weights):
        t_end = t + (end - start) * weight / total
        out.append((phone, t, t_end))
        t = t_end
    out[-1] = (out[-1][0], out[-1][1], end)
    return out


def _strip_diacritics(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
