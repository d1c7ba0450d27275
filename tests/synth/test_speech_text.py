"""Sentence generation and text normalisation."""

from __future__ import annotations

from pathlib import Path

from conftest import require_module

from selftalk.synth.text import (
    generate_sentences,
    sentence_plan,
    spell_number,
    spell_ordinal,
    words_for_alignment,
)


def test_words_for_alignment():
    text = "Press 1, then #. 21st of 1,205 * 3.5 you'd [beep] (note) Call-Forward <tone>"
    assert (
        words_for_alignment(text)
        == (
            "press one then pound twenty first of one thousand two hundred five star three point"
            " five you'd call forward"
        ).split()
    )
    assert words_for_alignment("3D audio") == ["three", "d", "audio"]
    assert words_for_alignment("[ascending tones]") == []


def test_spell_numbers():
    assert spell_number(0) == "zero"
    assert spell_number(40) == "forty"
    assert spell_number(115) == "one hundred fifteen"
    assert spell_number(2_000_019) == "two million nineteen"
    assert spell_ordinal(12) == "twelfth"
    assert spell_ordinal(30) == "thirtieth"
    assert spell_ordinal(103) == "one hundred third"


def test_generate_sentences_deterministic_and_distinct():
    a = generate_sentences(200, seed=3)
    assert a == generate_sentences(200, seed=3)
    assert len(set(a)) == 200
    assert a != generate_sentences(200, seed=4)
    assert not set(generate_sentences(50, seed=3, exclude=a[:10])) & set(a[:10])


def test_sentence_plan_like_vocaset():
    transcripts = [f"Please dial extension {k} now." for k in range(200)]
    plan = sentence_plan(12, 40, seed=0, shared=5, transcripts=transcripts)
    assert len(plan) == 12 and all(len(p) == 40 and len(set(p)) == 40 for p in plan)
    assert all(p[:5] == plan[0][:5] for p in plan)  # shared by every subject
    own = [set(p[5:]) for p in plan]
    for i in range(12):
        for j in range(i + 1, 12):
            assert not own[i] & own[j]
    real = [s for p in plan for s in p if s in transcripts]
    assert len(real) == 12 * round(35 * 0.25)
    assert plan == sentence_plan(12, 40, seed=0, shared=5, transcripts=transcripts)


def test_generated_sentences_cover_mouth_shapes():
    """Every sentence has /p b m/, /f v/, a rounded vowel or /w/ and an open vowel (CMUdict)."""
    ps = require_module("pocketsphinx")
    lexicon = {}
    for line in Path(ps.get_model_path("en-us/cmudict-en-us.dict")).read_text().splitlines():
        word, *phones = line.split()
        lexicon.setdefault(word, phones)
    groups = {
        "bilabial": {"P", "B", "M"},
        "labiodental": {"F", "V"},
        "rounded": {"UW", "UH", "OW", "AO", "OY", "W"},
        "open": {"AA", "AE", "AW", "AY"},
    }
    for sentence in generate_sentences(100, seed=1):
        phones = {p.rstrip("012") for w in words_for_alignment(sentence) for p in lexicon[w]}
        for name, group in groups.items():
            assert phones & group, (name, sentence)
