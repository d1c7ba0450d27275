"""The 33-token English character vocabulary of the paper's recognizer, and greedy CTC decoding.

Token ids follow ``jonatasgrosman/wav2vec2-large-xlsr-53-english``: ``<pad>`` (0, the CTC
blank), ``<s>``, ``</s>``, ``<unk>``, ``|`` (word delimiter), ``'``, ``-``, then ``A``–``Z``.
"""

from __future__ import annotations

import string

import torch

TOKENS: tuple[str, ...] = ("<pad>", "<s>", "</s>", "<unk>", "|", "'", "-") + tuple(
    string.ascii_uppercase
)
BLANK_ID = 0
UNK_ID = 3
DELIMITER_ID = 4
_TOKEN_IDS = {token: i for i, token in enumerate(TOKENS)}


def encode_text(text: str) -> list[int]:
    """Text → token ids: upper-cased, spaces → ``|``, unknown characters → ``<unk>``,
    runs of spaces collapsed and the ends stripped."""
    words = text.upper().split()
    return [_TOKEN_IDS.get(ch, UNK_ID) for ch in "|".join(words)]


def decode_ids(ids: list[int] | torch.Tensor) -> str:
    """Token ids (already CTC-collapsed) → text; ``|`` becomes a space."""
    ids = ids.tolist() if isinstance(ids, torch.Tensor) else ids
    return "".join(" " if i == DELIMITER_ID else TOKENS[i] for i in ids if i != BLANK_ID)


def greedy_ctc_labels(
    token_ids: torch.Tensor,
    lengths: torch.Tensor,
    *,
    blank: int = BLANK_ID,
    delimiter: int | None = DELIMITER_ID,
    merge: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy CTC transcripts as padded label tensors, computed on tensors.

    Per row: collapse runs of the same token, drop blanks, drop word delimiters before the
    first and after the last other token. This equals decoding with
    ``Wav2Vec2CTCTokenizer.batch_decode`` and re-tokenising the text, as the official
    release does, without leaving the device. ``delimiter=None``: no word delimiter;
    ``merge``: also join repeats that a blank separates (``P _ B`` as one bilabial viseme).

    Args:
        token_ids: (B, T) argmax of the recognizer logits.
        lengths: (B,) valid frames per row.
    Returns:
        labels (B, L) int64, zero-padded, and label_lengths (B,) int64.
    """
    batch, frames = token_ids.shape
    valid = torch.arange(frames, device=token_ids.device)[None, :] < lengths[:, None]
    previous = torch.nn.functional.pad(token_ids[:, :-1], (1, 0), value=-1)
    keep = valid & (token_ids != previous) & (token_ids != blank)
    content = keep if delimiter is None else keep & (token_ids != delimiter)
    after_first = content.cumsum(1) > 0
    before_last = content.flip(1).cumsum(1).flip(1) > 0
    keep &= after_first & before_last
    label_lengths = keep.sum(1)
    width = int(label_lengths.max()) if batch else 0
    labels = token_ids.new_zeros(batch, max(width, 1))
    rows = torch.arange(batch, device=token_ids.device)[:, None].expand(-1, frames)
    slots = keep.cumsum(1) - 1
    labels[rows[keep], slots[keep]] = token_ids[keep]
    labels, label_lengths = labels[:, :width].long(), label_lengths.long()
    if merge:  # collapse the label sequences once more: repeats a blank kept apart
        return greedy_ctc_labels(labels, label_lengths, blank=-1, delimiter=None)
    return labels, label_lengths
