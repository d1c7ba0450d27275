"""``selftalk train-recognizer``: train the small CTC speech recognizer on SynthTalk speech."""

from __future__ import annotations

import argparse

from selftalk.cli.common import (
    ConfigRecipe,
    add_config,
    add_output,
    add_progress,
    progress_enabled,
    resolve_config,
)
from selftalk.cli.types import non_negative_int


def default_recognizer_training():
    """The bundled recognizer's training: a 6-layer, 192-d wav2vec 2.0 from scratch."""
    from selftalk.training.asr import RecognizerTrainConfig

    return RecognizerTrainConfig()


CONFIGS = ConfigRecipe(presets={"default": default_recognizer_training}, default="default")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train-recognizer",
        help="train a small wav2vec 2.0 CTC recognizer from scratch",
        description="Train the speech recognizer SelfTalk's diagram needs when no pretrained one "
        "is available: on a SynthTalk corpus's training split, extra TTS sentences "
        "and the recorded prompts it does not hold out, with augmentation. Writes a "
        "Hugging Face Wav2Vec2ForCTC directory.",
        epilog="example:\n  selftalk synth data/synth && "
        "selftalk train-recognizer --data data/synth -o models/recognizer --tts 3000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config(parser, CONFIGS, positional_overrides=True)
    parser.add_argument("--data", required=True, metavar="SYNTH_DIR", help="a SynthTalk corpus")
    add_output(parser, required=True, metavar="DIR", help="the recognizer directory to write")
    parser.add_argument(
        "--tts",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="extra generated sentences, spoken by voices the corpus does not hold out",
    )
    parser.add_argument("--no-recorded", action="store_true", help="leave out the recorded prompts")
    parser.add_argument("--val-split", default="val", help="split that selects the best weights")
    parser.add_argument("--report-splits", nargs="*", default=["test_voices", "test_recorded"])
    add_progress(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from selftalk.data.layout import DatasetLayout
    from selftalk.data.splits import split_clips
    from selftalk.io import write_json
    from selftalk.outputs import check_output_folder
    from selftalk.training import speech_data as sd
    from selftalk.training.asr import evaluate, train_recognizer

    check_output_folder(args.output, inputs=[args.data, *args.config_files])
    config = resolve_config(args, CONFIGS)
    out = Path(args.output)
    layout = DatasetLayout(args.data)
    splits = layout.splits()
    voices, prompts = sd.held_out(args.data)
    for name in [args.val_split, *args.report_splits]:  # recorded prompts used for evaluation
        for clip in split_clips(splits.get(name, {})):
            prompt = layout.meta.clips.get(clip, {}).get("prompt")
            if prompt:
                prompts.add(prompt)
    examples = sd.dataset_examples(args.data, "train")
    if args.tts:
        examples += sd.tts_examples(
            out / "tts",
            args.tts,
            exclude_voices=voices,
            seed=config.seed,
            progress=progress_enabled(args),
        )
    if not args.no_recorded:
        examples += sd.recorded_examples(prompts)
    train_set = sd.SpeechSet(examples)
    eval_sets = {
        name: sd.SpeechSet(sd.dataset_examples(args.data, name))
        for name in [args.val_split, *args.report_splits]
        if name in splits
    }
    print(
        f"training on {len(train_set)} utterances ({train_set.seconds / 60:.1f} min); "
        f"evaluating on {', '.join(f'{k} ({len(v)})' for k, v in eval_sets.items())}"
    )
    model = train_recognizer(config, train_set, eval_sets, out, progress=progress_enabled(args))
    scores = evaluate(model, eval_sets)
    write_json(
        out / "report.json",
        {"train_utterances": len(train_set), "train_minutes": train_set.seconds / 60, **scores},
    )
    print("  ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    return 0
