import numpy as np
import torch

from selftalk.config import AugmentConfig
from selftalk.models.vocab import encode_text
from selftalk.training.asr import RecognizerTrainConfig, _batches, train_recognizer
from selftalk.training.speech_data import SpeechExample


class ToySpeech:
    """Two 'words' as two tones: enough for CTC to learn in a few dozen steps."""

    def __init__(self, n=24, seed=0):
        rng = np.random.default_rng(seed)
        self.examples, self.audio, self.labels = [], [], []
        for i in range(n):
            words = rng.choice(["A", "B"], size=2)
            pieces = [
                np.sin(2 * np.pi * (300 if w == "A" else 1200) * np.arange(4000) / 16000)
                for w in words
            ]
            audio = (
                np.concatenate(
                    [np.zeros(1600), pieces[0], np.zeros(1600), pieces[1], np.zeros(1600)]
                ).astype(np.float32)
                * 0.5
            )
            text = " ".join(words)
            self.examples.append(SpeechExample(name=f"t{i}", path=None, text=text, voice="toy"))
            self.audio.append(audio)
            self.labels.append(encode_text(text))

    def __len__(self):
        return len(self.examples)


def test_batches_cover_every_clip_once():
    lengths = np.random.default_rng(0).integers(8000, 64000, 50)
    batches = _batches(lengths, 8.0, np.random.default_rng(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(50))
    assert all(lengths[b].sum() <= 8 * 16000 or len(b) == 1 for b in batches)


def test_a_tiny_recognizer_learns_toy_words(tmp_path):
    from selftalk.config import tiny_encoder

    config = RecognizerTrainConfig(
        encoder=tiny_encoder(),
        lr=3e-3,
        warmup_steps=10,
        max_steps=120,
        batch_seconds=6.0,
        eval_every=60,
        augment=AugmentConfig(),
    )
    torch.manual_seed(0)
    data = ToySpeech()
    model = train_recognizer(config, data, {"val": ToySpeech(8, seed=1)}, tmp_path, progress=False)
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "vocab.json").is_file()
    lines = (tmp_path / "training.jsonl").read_text().splitlines()
    import json

    records = [json.loads(line) for line in lines]
    first, last = records[0]["loss"], np.mean([r["loss"] for r in records[-10:]])
    assert last < 0.5 * first
    assert model.config.vocab_size == 33
