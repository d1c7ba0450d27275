"""Lip-reading character error rate: how far the transcripts read off the lips are from the text.

The lip-reading interpreter's greedy CTC transcripts (hypotheses) are compared with
references (the speech recognizer's transcripts, or the true text where known). CER is the
Levenshtein distance (substitutions, insertions, deletions, each costing 1) summed over all
clips, divided by the total number of reference characters: pooled, so long clips weigh
more, the way speech toolkits (jiwer, torchmetrics) report it. The edit distance comes from
``rapidfuzz`` (C++, well kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_SPECIAL_TOKENS = re.compile(r"<[A-Za-z/]+>")  # <unk>, <s>, </s>, <pad> of a CTC vocabulary
_NOT_KEPT = re.compile(r"[^A-Z' -]+")


def normalize_transcript(text: str) -> str:
    """Text → what the recognizer writes: the one transcript normaliser of selftalk.

    Special tokens dropped, ``|`` a space, notes ([beep], (silence)) dropped, numbers
    spelled and symbols named (:func:`selftalk.synth.text.spoken_form`), upper-cased, every
    character but A–Z, apostrophes and hyphens (the recognizer's vocabulary,
    :mod:`selftalk.models.vocab`) a space, words' leading and trailing ``'``/``-`` stripped,
    single spaces. References and hypotheses compare fairly after it (CER), and it makes
    the recognizer's training labels.

    ``"Press 1, then #."`` → ``"PRESS ONE THEN POUND"``; ``"<s>WELL-KNOWN</s>"`` →
    ``"WELL-KNOWN"``.
    """
    from selftalk.synth.text import spoken_form

    text = spoken_form(_SPECIAL_TOKENS.sub("", text).replace("|", " "))
    words = (w.strip("'-") for w in _NOT_KEPT.sub(" ", text.upper()).split())
    return " ".join(w for w in words if w)


@dataclass(frozen=True, kw_only=True)
class PairErrors:
    """One (hypothesis, reference) pair after normalisation, with its edit count."""

    name: str
    hypothesis: str
    reference: str
    edits: int

    @property
    def cer(self) -> float | None:
        """This pair's CER, None for an empty reference."""
        return self.edits / len(self.reference) if self.reference else None


@dataclass(kw_only=True)
class CharErrorRate:
    """Streaming pooled CER: ``update(hypothesis, reference)`` a clip, then ``compute()``.

    Attributes:
        normalize: apply :func:`normalize_transcript` to both strings first.
    """

    normalize: bool = True
    pairs: list[PairErrors] = field(default_factory=list, init=False)

    def update(self, hypothesis: str, reference: str, *, name: str = "") -> PairErrors:
        from rapidfuzz.distance import Levenshtein

        if self.normalize:
            hypothesis, reference = (
                normalize_transcript(hypothesis),
                normalize_transcript(reference),
            )
        pair = PairErrors(
            name=name,
            hypothesis=hypothesis,
            reference=reference,
            edits=int(Levenshtein.distance(hypothesis, reference)),
        )
        self.pairs.append(pair)
        return pair

    @property
    def edits(self) -> int:
        return sum(p.edits for p in self.pairs)

    @property
    def reference_chars(self) -> int:
        return sum(len(p.reference) for p in self.pairs)

    def compute(self) -> float | None:
        """Total edits / total reference characters; None when there is no reference character."""
        chars = self.reference_chars
        return self.edits / chars if chars else None


def character_error_rate(
    pairs: Iterable[tuple[str, str]], *, normalize: bool = True
) -> float | None:
    """Pooled CER of (hypothesis, reference) pairs; None when the references are all empty."""
    metric = CharErrorRate(normalize=normalize)
    for hypothesis, reference in pairs:
        metric.update(hypothesis, reference)
    return metric.compute()
