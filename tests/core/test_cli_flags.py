"""The flags every verb shares (selftalk.cli.common): one spelling, one meaning, old aliases kept."""

from __future__ import annotations

import argparse
import dataclasses

import pytest
import yaml

from selftalk.cli import build_parser, main
from selftalk.cli.common import parse_size, resolve_subject, subject_number
from selftalk.config import apply_overrides, resolve, to_dict
from selftalk.errors import ConfigError, InputError

#: every verb that writes something, with the other arguments it needs to parse
WRITERS = {
    "animate": ["animate", "a.wav"],
    "predict": ["predict", "a.wav"],
    "test": ["test", "--run", "r", "--data", "d"],
    "metrics": ["metrics", "--pred", "p", "--data", "d"],
    "compare": ["compare", "p1", "p2", "--data", "d"],
    "synth": ["synth", "--small"],
    "lipsync": ["lipsync", "a.wav", "--text", "hi"],
    "render": ["render", "m.npy"],
    "rig": ["rig", "head.obj"],
    "export": ["export", "m.npy"],
    "import-official": ["import-official", "c.pth", "--preset", "tiny", "--lips", "l.txt"],
    "train": ["train", "--data", "d"],
    "train-recognizer": ["train-recognizer", "--data", "d"],
    "prepare vocaset": ["prepare", "vocaset", "raw"],
    "prepare biwi": ["prepare", "biwi", "raw"],
}
PROGRESS = {
    "synth": ["synth", "out"],
    "train": ["train", "--data", "d", "-o", "r"],
    "train-recognizer": ["train-recognizer", "--data", "d", "-o", "r"],
    "metrics": ["metrics", "--pred", "p", "--data", "d"],
    "data check": ["data", "check", "d"],
    "compare": ["compare", "p1", "--data", "d"],
    "prepare vocaset": ["prepare", "vocaset", "raw", "-o", "d"],
}


def parse(argv):
    return build_parser().parse_args(argv)


def _leaf_parsers(parser, prefix=()):
    """(verb words, parser) of every verb and sub-verb (``prepare vocaset``…)."""
    import argparse

    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix, parser
    for action in subs:
        for name, sub in action.choices.items():
            yield from _leaf_parsers(sub, (*prefix, name))


def test_every_verb_sets_a_handler_and_no_run():
    """Dispatch is ``set_defaults(handler=...)``, so ``--run`` keeps its natural dest."""
    leaves = list(_leaf_parsers(build_parser()))
    assert len(leaves) >= 14
    for words, parser in leaves:
        assert callable(parser.get_default("handler")), " ".join(words)
        assert not callable(parser.get_default("run")), " ".join(words)


@pytest.mark.parametrize("verb", sorted(WRITERS))
@pytest.mark.parametrize("flag", ["-o", "--output", "--out"])
def test_every_writer_takes_output_and_its_old_alias(verb, flag):
    args = parse([*WRITERS[verb], flag, "somewhere"])
    assert str(args.output) == "somewhere"


@pytest.mark.parametrize("verb", ["train", "render", "synth"])
def test_old_aliases_stay_out_of_help(verb, capsys):
    assert main([verb, "--help"]) == 0  # main returns the status (the error contract)
    text = capsys.readouterr().out
    assert "--output" in text and "--out " not in text and "--out," not in text
    assert "--quiet" not in text


@pytest.mark.parametrize("verb", sorted(PROGRESS))
def test_one_progress_flag_with_the_old_spellings(verb):
    argv = PROGRESS[verb]
    assert parse(argv).progress is None  # default: bars when stderr is a terminal
    assert parse([*argv, "--progress"]).progress is True
    for off in ("--no-progress", "--quiet", "-q"):
        assert parse([*argv, off]).progress is False


def test_run_has_its_natural_dest():
    args = parse(["predict", "a.wav", "--run", "runs/x", "-o", "m.npy"])
    assert args.run == "runs/x" and callable(args.handler)
    assert parse(["metrics", "--pred", "p", "--data", "d", "--run", "r"]).run == "r"


def test_set_positionals_and_config_files_apply_in_order(tmp_path, capsys):
    overrides = tmp_path / "o.yaml"
    overrides.write_text("train:\n  lr: 0.5\n  epochs: 7\n")
    argv = ["train", "--preset", "tiny", "--config", str(overrides), "train.epochs=3"]
    assert main([*argv, "--set", "train.lr=3e-4", "--dump-config"]) == 0
    dumped = yaml.safe_load(capsys.readouterr().out)
    expected = resolve("tiny", files=[overrides], assignments=["train.epochs=3", "train.lr=3e-4"])
    assert dumped == to_dict(expected)
    assert dumped["train"]["lr"] == 3e-4 and dumped["train"]["epochs"] == 3


@pytest.mark.parametrize(
    "argv, key",
    [
        (["train", "--preset", "tiny"], "model"),
        (["train-recognizer", "--set", "lr=0.01"], "encoder"),
        (["import-official", "c.pth", "--preset", "vocaset-official"], "recognizer"),
        (["synth", "--small", "--set", "seed=5", "--subjects", "2"], "n_subjects"),
    ],
)
def test_dump_config_needs_no_other_required_option(argv, key, capsys):
    assert main([*argv, "--dump-config"]) == 0
    dumped = yaml.safe_load(capsys.readouterr().out)
    assert key in dumped
    if argv[0] == "synth":
        assert (dumped["n_subjects"], dumped["n_sentences"], dumped["seed"]) == (2, 4, 5)
    if argv[0] == "train-recognizer":
        assert dumped["lr"] == 0.01


def test_required_options_are_still_required_without_dump_config(capsys):
    assert main(["train", "--preset", "tiny", "-o", "runs/x"]) == 2
    err = capsys.readouterr().err
    assert "required: --data" in err and len(err.strip().splitlines()) == 1
    assert main(["import-official", "c.pth", "--dump-config"]) == 2
    assert "--preset is required" in capsys.readouterr().err


@pytest.mark.parametrize("verb", ["train", "train-recognizer", "synth", "import-official"])
def test_list_presets(verb, capsys):
    assert main([verb, "--list-presets"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names and all(names)
    if verb in ("train", "import-official"):
        assert {"vocaset", "tiny", "vocaset-official"} <= set(names)


def test_resume_refuses_a_preset(capsys):
    assert main(["train", "--resume", "runs/x", "--preset", "tiny", "--data", "d"]) == 2
    assert "--resume continues a run" in capsys.readouterr().err


def test_render_x264_preset_and_its_old_spelling():
    base = ["render", "m.npy", "-o", "v.mp4"]
    assert parse(base).x264_preset == "veryfast"
    assert parse([*base, "--x264-preset", "slow"]).x264_preset == "slow"
    assert parse([*base, "--preset", "fast"]).x264_preset == "fast"


@pytest.mark.parametrize("verb", [["render", "m.npy", "-o", "v.mp4"], ["animate", "a.wav"]])
def test_size_means_one_thing(verb):
    assert parse([*verb, "--size", "640x480"]).size == (640, 480)
    assert parse([*verb, "--size", "300"]).size == (300, 300)
    with pytest.raises(SystemExit):
        parse([*verb, "--size", "wide"])
    assert parse_size("32X48") == (32, 48)
    for bad in ("2x4", "33x48", "0", "nanx64", "64x64x64"):  # sides: even, 16 to 8192
        with pytest.raises(argparse.ArgumentTypeError):
            parse_size(bad)


def test_subject_by_name_or_number():
    names = ["FaceTalk_b", "FaceTalk_a"]
    assert resolve_subject("FaceTalk_b", names) == "FaceTalk_b"
    assert resolve_subject("1", names) == "FaceTalk_a"  # counted from 1 in sorted order
    with pytest.raises(InputError, match="FaceTalk_a, FaceTalk_b"):
        resolve_subject("3", names)
    assert resolve_subject("12", ["12", "3"]) == "12"  # a name wins over a number
    assert [subject_number(v) for v in ("3", "S03", "s3")] == [3, 3, 3]
    for bad in ("0", "S", "x3"):
        with pytest.raises(ConfigError):
            subject_number(bad)


def test_overrides_apply_to_frozen_config_classes():
    from selftalk.synth.corpus import CorpusOptions

    options = apply_overrides(CorpusOptions(), {"n_subjects": 2, "voices": ["espeak:en"]})
    assert (options.n_subjects, options.voices) == (2, ("espeak:en",))
    assert dataclasses.is_dataclass(options) and CorpusOptions().n_subjects == 12
