"""Phone sets: IPA → ARPAbet, visemes, reading vocabularies, greedy CTC with merged repeats."""

from __future__ import annotations

import pytest
import torch
from conftest import require_module

from selftalk.models.vocab import greedy_ctc_labels
from selftalk.phonetics import (
    ARPABET,
    PHONE_TO_VISEME,
    VISEMES,
    ReadingVocabulary,
    ipa_to_arpabet,
)


def test_every_phone_has_one_viseme():
    grouped = [p for phones in VISEMES.values() for p in phones]
    assert sorted(grouped) == sorted([*ARPABET, "SIL"])
    assert len(grouped) == len(set(grouped))
    assert PHONE_TO_VISEME["P"] == PHONE_TO_VISEME["M"] != PHONE_TO_VISEME["F"]


def test_vocabularies():
    visemes, phonemes = ReadingVocabulary("visemes"), ReadingVocabulary("phonemes")
    assert len(visemes) == 13 and len(phonemes) == 41
    assert visemes.symbols[:2] == phonemes.symbols[:2] == ("<blank>", "SIL")
    assert visemes.encode(["P", "B", "AA", "M"]) == [
        visemes.of_phone("P"),
        visemes.of_phone("AA"),
        visemes.of_phone("M"),
    ]
    assert visemes.encode(["P", "B"], merge=False) == [visemes.of_phone("P")] * 2
    with pytest.raises(ValueError):
        ReadingVocabulary("letters")


def test_ipa_mapping_covers_english():
    assert ipa_to_arpabet("t͡ʃ") == ("CH",)
    assert ipa_to_arpabet("ja") == ("Y", "AA")
    assert ipa_to_arpabet("ː") == ()  # a length mark is no phone
    english = "p b t d k ɡ f v θ ð s z ʃ ʒ h m n ŋ l ɹ w j i ɪ ɛ æ ɑ ʌ ɔ ʊ u ə ɚ".split()
    mapped = {ipa_to_arpabet(t)[0] for t in english}
    assert len(mapped) == len(english) - 1  # ʌ and ə both read as AH


def test_token_matrix_of_the_real_recognizer():
    hama = require_module("hama.asr")
    model = hama.ASRModel()
    tokens = list(model.decoder_tokens)
    matrix = ReadingVocabulary("phonemes").token_matrix(tokens, model.blank_id)
    assert matrix.shape == (len(tokens), 41)
    assert (matrix.sum(1) == 1).all()  # every token goes somewhere: a class or the blank
    assert matrix[model.blank_id, 0] == 1
    phones = [t for t in tokens if ipa_to_arpabet(t)]
    assert len(phones) > 100  # the multilingual inventory maps onto English phones


def test_greedy_labels_merge_repeats_across_blanks():
    ids = torch.tensor([[0, 3, 3, 0, 3, 5, 0, 5, 2], [4, 0, 4, 0, 0, 0, 0, 0, 0]])
    lengths = torch.tensor([9, 3])
    labels, n = greedy_ctc_labels(ids, lengths, delimiter=None)
    assert n.tolist() == [5, 2] and labels[0].tolist() == [3, 3, 5, 5, 2]
    labels, n = greedy_ctc_labels(ids, lengths, delimiter=None, merge=True)
    assert n.tolist() == [3, 1]
    assert labels[0, :3].tolist() == [3, 5, 2] and labels[1, 0] == 4
