"""Lip-reading CER against a textbook edit-distance table; normalisation; pooling; empty cases."""

from __future__ import annotations

import random

import pytest
from metrics_fixtures import naive_levenshtein

from selftalk.metrics import CharErrorRate, character_error_rate, normalize_transcript


def test_edit_distance_matches_naive_dp_on_random_strings():
    rng = random.Random(0)
    pairs = []
    for _ in range(200):
        a = "".join(rng.choice("AB C'") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("AB C'") for _ in range(rng.randint(1, 12)))
        pairs.append((a, b))
    metric = CharErrorRate(normalize=False)
    for a, b in pairs:
        assert metric.update(a, b).edits == naive_levenshtein(a, b)
    want = sum(naive_levenshtein(a, b) for a, b in pairs) / sum(len(b) for _, b in pairs)
    assert metric.compute() == pytest.approx(want, rel=1e-15)
    assert character_error_rate(pairs, normalize=False) == pytest.approx(want, rel=1e-15)


def test_pooled_over_clips_not_mean_of_clip_rates():
    pairs = [("A", "B"), ("HELLO WORLD", "HELLO WORLD")]  # 1 edit / 12 chars, not mean(1, 0)
    assert character_error_rate(pairs) == pytest.approx(1 / 12)


def test_zero_error_and_empty_cases():
    assert character_error_rate([("THE CAT", "the cat."), ("", "")]) == 0.0
    assert character_error_rate([("ABC", "")]) is None  # no reference character
    assert character_error_rate([]) is None
    metric = CharErrorRate()
    assert metric.update("", "ABCD").cer == 1.0  # everything deleted
    assert metric.update("X", "").cer is None


def test_normalization():
    assert normalize_transcript("Hello,  world!|IT'S  me ") == "HELLO WORLD IT'S ME"
    assert normalize_transcript("HELLO|WORLD|") == "HELLO WORLD"
    assert normalize_transcript("<s>WELL-KNOWN<unk> FACT</s>") == "WELL-KNOWN FACT"
    # spoken form: the recognizer writes no digits, so references spell numbers out
    assert normalize_transcript("Room 101; really?") == "ROOM ONE HUNDRED ONE REALLY"
    assert normalize_transcript("Press 1, then #.") == "PRESS ONE THEN POUND"
    assert normalize_transcript("[beep] 'quoted' -dash- party's") == "QUOTED DASH PARTY'S"
    vocabulary = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ'- ")
    assert set(normalize_transcript("Naïve café, 3½ #2 — ok?!")) <= vocabulary
    metric = CharErrorRate(normalize=False)
    assert metric.update("hello", "HELLO").edits == 5


def test_one_normaliser_and_one_cer():
    """Training labels, the recognizer's CER and the metrics share one normaliser and one CER."""
    import ast
    from pathlib import Path

    import selftalk
    from selftalk.training import asr, speech_data

    assert speech_data.normalize_transcript is normalize_transcript
    assert asr.character_error_rate is character_error_rate
    root = Path(selftalk.__file__).parent
    defined = [
        f"{path.relative_to(root)}:{node.name}"
        for path in root.rglob("*.py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body  # module-level functions
        if isinstance(node, ast.FunctionDef)
        and ("normali" in node.name and "transcript" in node.name or node.name in ("cer", "wer"))
    ]
    assert defined == ["metrics/text.py:normalize_transcript"]
