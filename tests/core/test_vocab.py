import json
from itertools import groupby

import pytest
import torch

from selftalk.models.vocab import TOKENS, decode_ids, encode_text, greedy_ctc_labels


def naive_labels(ids, blank=0, delimiter=4):
    collapsed = [k for k, _ in groupby(ids)]
    kept = [i for i in collapsed if i != blank]
    while kept and kept[0] == delimiter:
        kept.pop(0)
    while kept and kept[-1] == delimiter:
        kept.pop()
    return kept


def random_paths(n=200, frames=40, seed=0, specials=True):
    g = torch.Generator().manual_seed(seed)
    # bias towards blanks and delimiters, as real CTC paths are
    tokens = list(range(1, 33)) if specials else list(range(4, 33))
    choices = torch.tensor([0] * 6 + [4] * 3 + tokens)
    return choices[torch.randint(len(choices), (n, frames), generator=g)]


def test_vocabulary():
    assert len(TOKENS) == 33 and TOKENS[0] == "<pad>" and TOKENS[4] == "|" and TOKENS[7] == "A"


def test_greedy_labels_equal_a_naive_reference():
    ids = random_paths()
    lengths = torch.randint(0, 41, (len(ids),), generator=torch.Generator().manual_seed(1))
    labels, label_lengths = greedy_ctc_labels(ids, lengths)
    for row, n, lab, m in zip(ids, lengths, labels, label_lengths):
        assert lab[:m].tolist() == naive_labels(row[:n].tolist())
        assert torch.all(lab[m:] == 0)


def test_greedy_labels_equal_decode_then_tokenize_with_the_hf_tokenizer(tmp_path):
    from transformers import Wav2Vec2CTCTokenizer

    vocab = tmp_path / "vocab.json"
    vocab.write_text(json.dumps({t: i for i, t in enumerate(TOKENS)}))
    tokenizer = Wav2Vec2CTCTokenizer(
        str(vocab), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|"
    )
    # <s>, </s> and <unk> are left out: the HF tokenizer swallows spaces next to special
    # tokens when re-tokenising, and a CTC recognizer does not emit them
    ids = random_paths(seed=3, specials=False)
    labels, label_lengths = greedy_ctc_labels(ids, torch.full((len(ids),), ids.shape[1]))
    texts = tokenizer.batch_decode(ids)
    for text, lab, m in zip(texts, labels, label_lengths):
        assert tokenizer(text).input_ids == lab[:m].tolist(), text


def test_all_blank_rows_give_empty_labels():
    labels, lengths = greedy_ctc_labels(torch.zeros(2, 5, dtype=torch.long), torch.tensor([5, 3]))
    assert lengths.tolist() == [0, 0] and labels.shape == (2, 0)


@pytest.mark.parametrize("text", ["Hello world", "it's a well-known  fact", "  padded  "])
def test_encode_decode_text(text):
    assert decode_ids(encode_text(text)) == " ".join(text.upper().split())


def test_unknown_characters_become_unk():
    assert encode_text("a1") == [7, 3]
