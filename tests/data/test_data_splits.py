"""Built-in VOCASET and BIWI splits, custom splits, and their validation."""

from __future__ import annotations

import json

import pytest

from selftalk.data.splits import (
    biwi_splits,
    builtin_splits,
    read_splits,
    restrict_splits,
    split_clips,
    split_from_lists,
    vocaset_splits,
)
from selftalk.errors import InputError


def _sizes(splits):
    return {name: len(split_clips(members)) for name, members in splits.items()}


def test_vocaset_splits_are_faceformers():
    splits = vocaset_splits()
    assert _sizes(splits) == {"train": 8 * 40, "val": 2 * 20, "test": 2 * 20}
    subjects = [set(splits[name]) for name in ("train", "val", "test")]
    assert not (subjects[0] & subjects[1] or subjects[0] & subjects[2] or subjects[1] & subjects[2])
    assert (
        "FaceTalk_170809_00138_TA" in splits["test"]
        and "FaceTalk_170731_00024_TA" in splits["test"]
    )
    assert splits["train"]["FaceTalk_170728_03272_TA"][0] == "sentence01"
    assert splits["val"]["FaceTalk_170811_03275_TA"] == [f"sentence{n}" for n in range(21, 41)]


def test_biwi_splits_have_test_a_and_test_b():
    splits = biwi_splits()
    assert _sizes(splits) == {"train": 6 * 32, "val": 6 * 4, "test-a": 24, "test-b": 32}
    assert (
        set(splits["train"])
        == set(splits["val"])
        == set(splits["test-a"])
        == {"F2", "F3", "F4", "M3", "M4", "M5"}
    )
    assert set(splits["test-b"]) == {"F1", "F5", "F6", "F7", "F8", "M1", "M2", "M6"}
    train, val, test_a = (set(split_clips(splits[n])) for n in ("train", "val", "test-a"))
    assert not (train & val or train & test_a or val & test_a)
    assert splits["test-a"]["F2"] == splits["test-b"]["M1"] == ["e37", "e38", "e39", "e40"]
    assert splits["val"]["M5"] == ["e33", "e34", "e35", "e36"]
    assert builtin_splits("BIWI") == splits
    with pytest.raises(KeyError):
        builtin_splits("nope")


def test_custom_splits_from_lists_and_json(tmp_path):
    split = split_from_lists(["a", "b"], ["s1", "s2"])
    assert split == {"a": ["s1", "s2"], "b": ["s1", "s2"]}
    path = tmp_path / "splits.json"
    path.write_text(json.dumps({"mine": split}))
    assert read_splits(path) == {"mine": split}


@pytest.mark.parametrize(
    "content, message",
    [
        ("[1, 2]", "expected an object"),
        ('{"train": ["a"]}', "expected an object"),
        ('{"train": {"a": "s1"}}', "must be a list"),
        ('{"train": {"a": ["s_1"]}}', "bad sentence name"),
        ("{oops", "not valid JSON"),
    ],
)
def test_invalid_split_files_are_input_errors(tmp_path, content, message):
    path = tmp_path / "splits.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_splits(path)


def test_restrict_keeps_only_existing_clips():
    splits = {"train": {"a": ["s1", "s2"], "b": ["s1"]}, "test": {"c": ["s9"]}}
    assert restrict_splits(splits, ["a_s2", "b_s1", "x_s1"]) == {
        "train": {"a": ["s2"], "b": ["s1"]},
        "test": {},
    }
