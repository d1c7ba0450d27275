"""Splits as data: {split name: {subject: [sentence, …]}}.

The official VOCASET and BIWI splits of the field (FaceFormer, CodeTalker, SelfTalk) are
built in; a custom split comes from a JSON file or from subject and sentence lists.

VOCASET (FaceFormer ``main.py`` defaults and ``data_loader.py`` ranges):
    train: 8 subjects, sentences 1–40; val: 2 other subjects, sentences 21–40;
    test: 2 other subjects, sentences 21–40.
BIWI (FaceFormer / CodeTalker / SelfTalk configs and ``cal_metric.py``):
    train: F2 F3 F4 M3 M4 M5, sentences 1–32; val: the same subjects, 33–36;
    test-a: the same subjects, 37–40 (24 clips; SelfTalk's BIWI-Test-A);
    test-b: the unseen F1 F5 F6 F7 F8 M1 M2 M6, 37–40 (32 clips; FaceFormer's BIWI-Test-B).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from selftalk.errors import InputError
from selftalk.io import read_json

#: {split name: {subject: [sentence, …]}}
Splits = dict[str, dict[str, list[str]]]

VOCASET_TRAIN_SUBJECTS = (
    "FaceTalk_170728_03272_TA",
    "FaceTalk_170904_00128_TA",
    "FaceTalk_170725_00137_TA",
    "FaceTalk_170915_00223_TA",
    "FaceTalk_170811_03274_TA",
    "FaceTalk_170913_03279_TA",
    "FaceTalk_170904_03276_TA",
    "FaceTalk_170912_03278_TA",
)
VOCASET_VAL_SUBJECTS = ("FaceTalk_170811_03275_TA", "FaceTalk_170908_03277_TA")
VOCASET_TEST_SUBJECTS = ("FaceTalk_170809_00138_TA", "FaceTalk_170731_00024_TA")

BIWI_TRAIN_SUBJECTS = ("F2", "F3", "F4", "M3", "M4", "M5")
BIWI_UNSEEN_SUBJECTS = ("F1", "F5", "F6", "F7", "F8", "M1", "M2", "M6")


def vocaset_sentence(number: int) -> str:
    """VOCASET's sentence names: ``sentence01`` … ``sentence40``."""
    return f"sentence{number:02d}"


def biwi_sentence(number: int) -> str:
    """BIWI's sentence names: ``e01`` … ``e40``."""
    return f"e{number:02d}"


def split_from_lists(subjects: Iterable[str], sentences: Iterable[str]) -> dict[str, list[str]]:
    """One split in which every subject has the same sentences."""
    sentences = list(sentences)
    return {subject: list(sentences) for subject in subjects}


def vocaset_splits() -> Splits:
    """The VOCASET train / val / test splits of FaceFormer (and CodeTalker, SelfTalk)."""
    all_40 = [vocaset_sentence(n) for n in range(1, 41)]
    last_20 = [vocaset_sentence(n) for n in range(21, 41)]
    return {
        "train": split_from_lists(VOCASET_TRAIN_SUBJECTS, all_40),
        "val": split_from_lists(VOCASET_VAL_SUBJECTS, last_20),
        "test": split_from_lists(VOCASET_TEST_SUBJECTS, last_20),
    }


def biwi_splits() -> Splits:
    """The BIWI train / val / test-a / test-b splits of FaceFormer and CodeTalker."""

    def sentences(first: int, last: int) -> list[str]:
        return [biwi_sentence(n) for n in range(first, last + 1)]

    return {
        "train": split_from_lists(BIWI_TRAIN_SUBJECTS, sentences(1, 32)),
        "val": split_from_lists(BIWI_TRAIN_SUBJECTS, sentences(33, 36)),
        "test-a": split_from_lists(BIWI_TRAIN_SUBJECTS, sentences(37, 40)),
        "test-b": split_from_lists(BIWI_UNSEEN_SUBJECTS, sentences(37, 40)),
    }


BUILTIN_SPLITS: dict[str, Callable[[], Splits]] = {"vocaset": vocaset_splits, "biwi": biwi_splits}


def builtin_splits(dataset: str) -> Splits:
    """The official splits of ``vocaset`` or ``biwi``."""
    key = dataset.lower()
    if key not in BUILTIN_SPLITS:
        raise KeyError(f"no built-in splits for {dataset!r} (known: {', '.join(BUILTIN_SPLITS)})")
    return BUILTIN_SPLITS[key]()


def validate_splits(obj: object, path: str | Path = "splits") -> Splits:
    """Check the {split: {subject: [sentence, …]}} structure; returns a clean copy."""
    if not isinstance(obj, Mapping):
        raise InputError(path, "expected an object {split: {subject: [sentence, ...]}}")
    clean: Splits = {}
    for split, members in obj.items():
        if not isinstance(split, str) or not split:
            raise InputError(path, f"bad split name {split!r}")
        clean[split] = validate_split(members, path, split)
    return clean


def validate_split(
    obj: object, path: str | Path = "split", label: str = "split"
) -> dict[str, list[str]]:
    """Check one {subject: [sentence, …]} split; returns a clean copy."""
    if not isinstance(obj, Mapping):
        raise InputError(path, f"{label}: expected an object {{subject: [sentence, ...]}}")
    clean: dict[str, list[str]] = {}
    for subject, sentences in obj.items():
        if not isinstance(subject, str) or not subject:
            raise InputError(path, f"{label}: bad subject name {subject!r}")
        if isinstance(sentences, str) or not isinstance(sentences, Iterable):
            raise InputError(path, f"{label}: the sentences of {subject!r} must be a list")
        sentences = list(sentences)
        bad = [s for s in sentences if not isinstance(s, str) or not s or "_" in s]
        if bad:
            raise InputError(
                path, f"{label}: bad sentence name {bad[0]!r} for {subject!r} (no '_' allowed)"
            )
        clean[subject] = sentences
    return clean


def read_splits(path: str | Path) -> Splits:
    """Read a ``splits.json`` file."""
    path = Path(path)
    return validate_splits(read_json(path, missing="no such splits file"), path)


def split_clips(split: Mapping[str, Iterable[str]]) -> list[str]:
    """Clip names ``{subject}_{sentence}`` of one split, sorted."""
    return sorted(
        f"{subject}_{sentence}" for subject, sentences in split.items() for sentence in sentences
    )


def restrict_splits(
    splits: Mapping[str, Mapping[str, Iterable[str]]], clips: Iterable[str]
) -> Splits:
    """Keep only the clips that exist; subjects left without sentences are dropped.

    The official splits name every sentence of a range, while real releases miss a few
    sequences; a prepared dataset records what it holds.
    """
    present = set(clips)
    restricted: Splits = {}
    for name, members in splits.items():
        kept = {}
        for subject, sentences in members.items():
            sentences = [s for s in sentences if f"{subject}_{s}" in present]
            if sentences:
                kept[subject] = sentences
        restricted[name] = kept
    return restricted


#: Split names a dataset does not have but the field uses, and the split they mean.
#: BIWI's "test" in CodeTalker's ``cal_metric.py`` and SelfTalk's README is Test-A.
SPLIT_ALIASES: dict[str, dict[str, str]] = {"biwi": {"test": "test-a"}}


def select_split(
    splits: Mapping[str, Mapping[str, Iterable[str]]],
    name: str,
    *,
    dataset: str = "",
    source: str | Path = "splits",
) -> tuple[dict[str, list[str]], str | None]:
    """The members of split ``name`` and a note when an alias was followed.

    ``dataset`` (``biwi``…) enables the field's aliases (:data:`SPLIT_ALIASES`); an unknown
    split raises :class:`InputError` naming ``source`` and the splits it has.
    """
    if name in splits:
        return validate_split(splits[name], source, name), None
    target = SPLIT_ALIASES.get(dataset.lower(), {}).get(name)
    if target is not None and target in splits:
        note = (
            f"{dataset} has no split {name!r}: using {target!r}, as CodeTalker's cal_metric.py "
            f"and SelfTalk do (name the split to silence this)"
        )
        return validate_split(splits[target], source, target), note
    known = ", ".join(splits) or "none"
    raise InputError(source, f"has no split {name!r} (it has: {known})")
