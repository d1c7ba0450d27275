"""A lip reader trained on its own: it learns to read lips that carry the phones, and its
error rates are edit distances as a naive loop computes them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from selftalk.config import LipReaderConfig
from selftalk.models.lip_reader import LipReadingInterpreter
from selftalk.phonetics import ARPABET, ReadingVocabulary
from selftalk.training import lip_reading as lr

PHONES = ["P", "AA", "F", "UW", "S", "IY", "M", "OW"]


def clip(rng, name: str) -> lr.LipClip:
    """Lips whose 4 vertices take a fixed pose for each phone said (30 fps)."""
    poses = {p: np.random.default_rng(ARPABET.index(p)).normal(0, 0.004, (4, 3)) for p in ARPABET}
    t, phones = 0.2, [("SIL", 0.0, 0.2)]
    for p in rng.choice(PHONES, 6):
        d = rng.uniform(0.12, 0.2)
        phones.append((str(p), t, t + d))
        t += d
    phones.append(("SIL", t, t + 0.2))
    frames = int((t + 0.2) * 30)
    lips = np.zeros((frames, 4, 3), np.float32)
    for p, a, b in phones[1:-1]:
        lips[int(a * 30) : int(b * 30)] = poses[p]
    return lr.LipClip(name=name, lips=lips, fps=30.0, phones=phones)


def test_error_rate_is_pooled_edit_distance():
    pairs = [([1, 2, 3], [1, 3]), ([], [4, 5]), ([7], [7])]
    assert lr.error_rate(pairs) == pytest.approx((1 + 2 + 0) / 5)


def test_reader_learns_to_read_lips(tmp_path):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    clips = [clip(rng, f"s_c{i}") for i in range(48)]
    vocabulary = ReadingVocabulary("phonemes")
    config = LipReaderConfig(
        width=32, num_layers=1, num_heads=2, ff_dim=64, dropout=0.0, vocab_size=41,
        reading="phonemes", conv_layers=1, offset_scale=0.001, latent="posteriors",
    )  # fmt: skip
    reader = LipReadingInterpreter(config, torch.arange(4))

    def per(model):
        pairs = [
            (lr.read(model, c.lips, c.fps, merge=False), lr.true_sequence(c, vocabulary))
            for c in clips[-8:]
        ]
        return lr.error_rate(pairs)

    before = per(reader)
    lr.train_reader(reader, clips[:40], vocabulary, epochs=25, batch_size=8, lr=5e-3)
    after = per(reader)
    assert before > 0.9 and after < 0.75  # measured 0.65 after 25 epochs
    lr.save_reader(reader, tmp_path / "judge", fps=30.0, supervision="truth")
    again, meta = lr.load_reader(tmp_path / "judge")
    assert meta["supervision"] == "truth" and per(again) == after


def test_attention_dropout_is_set_apart_from_the_other_dropout():
    from selftalk.config import ConfigError

    def reader(**kw):
        config = LipReaderConfig(width=16, num_heads=2, num_layers=1, ff_dim=32, vocab_size=5, **kw)
        config.validate()
        return LipReadingInterpreter(config, torch.arange(4)).train()

    offsets = torch.randn(2, 9, 4, 3)
    lengths, target = torch.tensor([9, 7]), torch.tensor([15, 12])
    torch.manual_seed(0)
    only_attention = reader(dropout=0.0, attention_dropout=0.5)
    a, b = (only_attention(offsets, lengths, target).features for _ in range(2))
    assert not torch.equal(a, b)  # the attention weights were dropped
    no_attention = reader(dropout=0.0, attention_dropout=0.0)
    a, b = (no_attention(offsets, lengths, target).features for _ in range(2))
    assert torch.equal(a, b)
    inherits = reader(dropout=0.3)
    assert {
        m.dropout for m in inherits.modules() if isinstance(m, torch.nn.MultiheadAttention)
    } == {0.3}
    with pytest.raises(ConfigError, match="attention_dropout"):
        reader(attention_dropout=1.0)
