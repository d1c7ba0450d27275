"""Phone-set mapping and phone tidying (pure Python, no engines)."""

from __future__ import annotations

import pytest

from selftalk.synth.phones import PHONES, TimedPhone
from selftalk.synth.speech.phoneset import (
    IPA_TO_ARPABET,
    MRPA_TO_ARPABET,
    RADIO_TO_ARPABET,
    UnknownPhoneError,
    festival_to_arpabet,
    ipa_to_arpabet,
    split_interval,
)
from selftalk.synth.speech.timing import check_phones, tidy_phones


@pytest.mark.parametrize(
    ("ipa", "expected"),
    [
        ("b", ("B",)),
        ("ɑːɹ", ("AA", "R")),
        ("aɪ", ("AY",)),
        ("tʃ", ("CH",)),
        ("dʒ", ("JH",)),
        ("ˈoʊ", ("OW",)),
        ("n̩", ("AH", "N")),
        ("", ("SIL",)),
        ("a:", ("AA",)),
        ("t̪", ("T",)),
        ("ɚ", ("ER",)),
        ("ʊə", ("UH", "AH")),
        ("aa", ("AA",)),
    ],
)
def test_ipa_to_arpabet(ipa, expected):
    assert ipa_to_arpabet(ipa) == expected


def test_ipa_unknown_symbol_raises():
    with pytest.raises(UnknownPhoneError):
        ipa_to_arpabet("Ж")


def test_every_table_maps_into_the_phone_set():
    for table in (IPA_TO_ARPABET, RADIO_TO_ARPABET, MRPA_TO_ARPABET):
        for symbol, phones in table.items():
            assert phones and set(phones) <= PHONES, symbol


def test_festival_phone_sets():
    assert festival_to_arpabet("ax") == ("AH",)
    assert festival_to_arpabet("pau") == ("SIL",)
    assert festival_to_arpabet("en") == ("AH", "N")
    assert festival_to_arpabet("uh", "mrpa") == ("AH",)  # STRUT in mrpa, not FOOT
    assert festival_to_arpabet("uh", "radio") == ("UH",)
    assert festival_to_arpabet("@@", "mrpa") == ("ER",)
    with pytest.raises(UnknownPhoneError):
        festival_to_arpabet("zz9")
    with pytest.raises(UnknownPhoneError):
        festival_to_arpabet("a", "klingon")


def test_split_interval_weights_vowels_twice():
    parts = split_interval(("AA", "R"), 1.0, 1.3)
    assert [p for p, _, _ in parts] == ["AA", "R"]
    assert parts[0][1] == 1.0 and parts[-1][2] == 1.3
    assert parts[0][2] == pytest.approx(1.2)


def test_tidy_phones_fills_gaps_and_covers_duration():
    raw = [
        ("B", 0.005, 0.1),
        ("AA", 0.1, 0.3),
        ("SIL", 0.3, 0.35),
        ("SIL", 0.35, 0.4),
        ("B", 0.5, 0.6),
    ]
    phones = tidy_phones(raw, 1.0)
    check_phones(phones, 1.0)
    assert [p.phone for p in phones] == ["B", "AA", "SIL", "B", "SIL"]
    assert phones[0].start == 0.0  # a 5 ms lead-in is absorbed, not a phone
    assert phones[2] == TimedPhone("SIL", 0.3, 0.5)  # two SILs and the gap merge
    assert phones[-1].end == 1.0


def test_tidy_phones_clips_overlaps_and_past_the_end():
    phones = tidy_phones([("M", 0.0, 0.5), ("IY", 0.4, 0.9), ("T", 0.9, 1.4)], 1.0)
    check_phones(phones, 1.0)
    assert [(p.phone, p.start, p.end) for p in phones] == [
        ("M", 0.0, 0.5),
        ("IY", 0.5, 0.9),
        ("T", 0.9, 1.0),
    ]


def test_tidy_phones_empty_is_silence():
    assert tidy_phones([], 0.5) == [TimedPhone("SIL", 0.0, 0.5)]


def test_check_phones_rejects_gaps():
    with pytest.raises(ValueError):
        check_phones([TimedPhone("B", 0, 0.1), TimedPhone("AA", 0.2, 0.3)], 0.3)
