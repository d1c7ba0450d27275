"""Can lips be read? Lip readers trained on ground-truth SynthTalk motion, scored on held-out
clips by phoneme and viseme error rate (PER, VER) against the phones the clips were made from.

Readers:
- ``judge``: phonemes, 2 layers of 128, trained on the true phones (frame classes + CTC);
  the fixed reader that benchmarks/bundled_model.py runs on every system's motion.
- ``recognizer-visemes`` / ``recognizer-phonemes``: the bundled model's lip-reader
  architecture trained as the diagram teaches it, from the phoneme recognizer's frame classes
  and transcript (no truth), reading visemes or phonemes: which reads better decides what the
  diagram's reader reads.

    python benchmarks/lip_reading.py --data data/synth --cache runs/phoneme-cache \
        --judge-out runs/judge
Writes benchmarks/results/lip_reading.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from selftalk.config import LipReaderConfig, phonemes
from selftalk.models.lip_reader import LipReadingInterpreter
from selftalk.phonetics import ReadingVocabulary
from selftalk.training import lip_reading as lr

HELD_OUT = ("test", "test_voices", "test_recorded")


def judge_config(width: int = 128, layers: int = 2) -> LipReaderConfig:
    return LipReaderConfig(
        width=width,
        num_layers=layers,
        num_heads=4,
        ff_dim=2 * width,
        dropout=0.1,
        vocab_size=41,
        reading="phonemes",
        conv_layers=3,
        offset_scale=0.001,
        latent="posteriors",
    )


def diagram_config(reading: str) -> LipReaderConfig:
    config = phonemes().model.lip_reader
    config.reading = reading
    config.vocab_size = len(ReadingVocabulary(reading))
    return config


def score(reader, clips, vocabulary: ReadingVocabulary) -> dict[str, float]:
    """PER (phoneme readers) and VER of a reader on clips with true phones."""
    merge = vocabulary.kind == "visemes"
    visemes = ReadingVocabulary("visemes")
    per_pairs, ver_pairs = [], []
    for clip in clips:
        hyp = lr.read(reader, clip.lips, clip.fps, merge=merge)
        if vocabulary.kind == "phonemes":
            per_pairs.append((hyp, lr.true_sequence(clip, vocabulary)))
            hyp = lr.to_visemes(hyp, vocabulary)
        ver_pairs.append((hyp, lr.true_sequence(clip, visemes)))
    out = {"ver": round(lr.error_rate(ver_pairs), 4)}
    if per_pairs:
        out["per"] = round(lr.error_rate(per_pairs), 4)
    return out


def attach_teacher(clips, data: Path, cache: Path) -> None:
    from selftalk.data.dataset import TalkingFaceDataset
    from selftalk.models.phoneme_recognizer import PhonemeRecognizer, PhonemeTeacher
    from selftalk.training.phoneme_cache import PhonemeCache

    recognizer = PhonemeRecognizer(phonemes().model.animator.ears)
    store = PhonemeCache(cache, recognizer)
    dataset = TalkingFaceDataset(data, None, normalize=False)
    index = {n: i for i, n in enumerate(dataset.names)}
    entries = [store.entry(dataset.clip_audio(index[c.name])) for c in clips]
    for reading in ("visemes", "phonemes"):
        teacher = PhonemeTeacher(recognizer, ReadingVocabulary(reading))
        lr.attach_recognizer_targets(clips, entries, teacher)
        for clip in clips:
            setattr(clip, f"_{reading}", (clip.frames, clip.labels))


def train_and_score(name, config, train, held_out, supervision, epochs, lips, reading=None):
    vocabulary = ReadingVocabulary(config.reading)
    if reading is not None:
        for clip in train:
            clip.frames, clip.labels = getattr(clip, f"_{reading}")
    reader = LipReadingInterpreter(config, torch.as_tensor(lips))
    start = time.time()
    history = []
    lr.train_reader(
        reader,
        train,
        vocabulary,
        supervision=supervision,
        epochs=epochs,
        on_epoch=lambda e, s: (history.append(s), print(name, e, s, flush=True)),
    )
    result = {
        "supervision": supervision,
        "reading": config.reading,
        "epochs": epochs,
        "train_seconds": round(time.time() - start, 1),
        "final_losses": history[-1],
        **{split: score(reader, clips, vocabulary) for split, clips in held_out.items()},
    }
    print(name, json.dumps(result), flush=True)
    return reader, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="phoneme-recognizer cache")
    parser.add_argument("--judge-out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--judge-width", type=int, default=128, help="the judge's width (128)")
    parser.add_argument("--judge-layers", type=int, default=2, help="the judge's layers (2)")
    parser.add_argument(
        "--readers", nargs="+", default=["judge", "recognizer-visemes", "recognizer-phonemes"]
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/lip_reading.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)

    from selftalk.data.layout import DatasetLayout

    lips = DatasetLayout(args.data).topology().lip_indices
    train = lr.load_lip_clips(args.data, "train")
    # the lip readers identify each subject's lips by offsets from its template: fine to
    # hold out subjects (test) as well as voices and recordings
    held_out = {split: lr.load_lip_clips(args.data, split) for split in HELD_OUT}
    results = {"train_clips": len(train), **{f"{s}_clips": len(c) for s, c in held_out.items()}}
    if any(r.startswith("recognizer") for r in args.readers):
        attach_teacher(train, args.data, args.cache)
    for name in args.readers:
        if name == "judge":
            reader, results[name] = train_and_score(
                name,
                judge_config(args.judge_width, args.judge_layers),
                train,
                held_out,
                "truth",
                args.epochs,
                lips,
            )
            lr.save_reader(reader, args.judge_out, fps=train[0].fps, supervision="truth")
        else:
            reading = name.split("-")[1]
            _, results[name] = train_and_score(
                name,
                diagram_config(reading),
                train,
                held_out,
                "recognizer",
                args.epochs,
                lips,
                reading,
            )
    previous = json.loads(args.out.read_text()) if args.out.is_file() else {}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**previous, **results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
