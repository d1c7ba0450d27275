"""Train a small wav2vec 2.0 CTC speech recognizer from scratch (the bundled model's recognizer).

It plays the paper's frozen recognizer where no pretrained one can be downloaded: same
architecture family, same 33-token character vocabulary, trained with CTC against true
transcripts on augmented speech, then frozen for SelfTalk training.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from selftalk.audio import normalize
from selftalk.config import (
    SAMPLE_RATE,
    AugmentConfig,
    SpeechEncoderConfig,
    robust_augmentation,
    small_encoder,
)
from selftalk.metrics.text import character_error_rate, normalize_transcript
from selftalk.models.vocab import TOKENS, decode_ids, greedy_ctc_labels
from selftalk.training.augment import augment
from selftalk.training.speech_data import SpeechSet


@dataclass(kw_only=True)
class RecognizerTrainConfig:
    """How the recognizer is trained."""

    encoder: SpeechEncoderConfig = field(default_factory=small_encoder)
    lr: float = 1e-3
    warmup_steps: int = 500
    max_steps: int = 30_000
    max_minutes: float = 0.0
    """Stop after this much wall time (0: no limit)."""
    batch_seconds: float = 48.0
    """Audio per step, in seconds (clips are bucketed by length)."""
    eval_every: int = 500
    seed: int = 0
    augment: AugmentConfig = field(
        default_factory=lambda: dataclasses.replace(robust_augmentation(), p_speed=0.3)
    )

    def validate(self) -> RecognizerTrainConfig:
        """Check every field; raise :class:`ConfigError` naming the first bad one."""
        from selftalk.checks import non_negative, positive

        self.encoder.validate("encoder")
        self.augment.validate("augment")
        positive(self.lr, "lr")
        positive(self.batch_seconds, "batch_seconds")
        positive(self.eval_every, "eval_every")
        for name in ("warmup_steps", "max_steps", "max_minutes"):
            non_negative(getattr(self, name), name)
        return self


def _batches(lengths: np.ndarray, seconds: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Buckets of similar length, each about ``seconds`` of audio, in random order."""
    order = np.argsort(lengths + rng.uniform(0, 8000, len(lengths)))
    batches, current, total = [], [], 0
    for i in order:
        if current and total + lengths[i] > seconds * SAMPLE_RATE:
            batches.append(np.asarray(current))
            current, total = [], 0
        current.append(i)
        total += lengths[i]
    if current:
        batches.append(np.asarray(current))
    rng.shuffle(batches)
    return batches


def _pad(audios: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(a) for a in audios])
    batch = torch.zeros(len(audios), int(lengths.max()))
    for i, a in enumerate(audios):
        batch[i, : len(a)] = torch.from_numpy(normalize(a))
    mask = (torch.arange(batch.shape[1])[None] < lengths[:, None]).long()
    return batch, mask


@torch.no_grad()
def transcribe(model, audios: list[np.ndarray], batch_size: int = 8) -> list[str]:
    """Greedy CTC transcripts of raw 16 kHz audio."""
    model.eval()
    texts = []
    for start in range(0, len(audios), batch_size):
        chunk = audios[start : start + batch_size]
        audio, mask = _pad(chunk)
        logits = model(audio, attention_mask=mask).logits
        lengths = model._get_feat_extract_output_lengths(mask.sum(-1)).clamp(max=logits.shape[1])
        labels, label_lengths = greedy_ctc_labels(logits.argmax(-1), lengths)
        texts += [decode_ids(labels[i, : label_lengths[i]]) for i in range(len(chunk))]
    return texts


def evaluate(model, sets: dict[str, SpeechSet]) -> dict[str, float]:
    return {
        f"cer/{name}": character_error_rate(
            zip(transcribe(model, s.audio), [normalize_transcript(e.text) for e in s.examples]),
            normalize=False,  # transcripts are in the vocabulary already; references normalised
        )
        or 0.0
        for name, s in sets.items()
        if len(s)
    }


def train_recognizer(
    config: RecognizerTrainConfig,
    train_set: SpeechSet,
    eval_sets: dict[str, SpeechSet],
    out_dir: str | Path,
    *,
    progress: bool = True,
):
    """Train with CTC; writes a Hugging Face ``Wav2Vec2ForCTC`` directory to ``out_dir``
    and returns the model. The kept weights are those with the lowest CER on the *first*
    evaluation set (a validation split); the others are only reported."""
    from tqdm import tqdm
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    from selftalk.io import write_json

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    hf = Wav2Vec2Config(
        **config.encoder.hf_kwargs(),
        ctc_zero_infinity=True,
        final_dropout=0.0,
        bos_token_id=1,
        eos_token_id=2,
    )
    model = Wav2Vec2ForCTC(hf)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    total = config.max_steps

    def factor(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        return 0.5 * (
            1
            + math.cos(
                math.pi
                * min(1.0, (step - config.warmup_steps) / max(1, total - config.warmup_steps))
            )
        )

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    lengths = np.asarray([len(a) for a in train_set.audio])
    log_path = out_dir / "training.jsonl"
    best, step, start = math.inf, 0, time.time()
    bar = tqdm(total=total, desc="recognizer", disable=not progress, dynamic_ncols=True)
    while step < total:
        for indices in _batches(lengths, config.batch_seconds, rng):
            model.train()
            audios = [augment(train_set.audio[i], config.augment, rng) for i in indices]
            audio, mask = _pad(audios)
            width = max(len(train_set.labels[i]) for i in indices)
            targets = torch.full((len(indices), width), -100, dtype=torch.long)
            for row, i in enumerate(indices):
                targets[row, : len(train_set.labels[i])] = torch.tensor(train_set.labels[i])
            loss = model(audio, attention_mask=mask, labels=targets).loss
            if not math.isfinite(loss.item()):
                from selftalk.errors import TrainingError

                raise TrainingError(
                    f"the recognizer's loss became {loss.item()} at step {step}; lower lr "
                    f"(the best weights so far stay in {out_dir})"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            scheduler.step()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            record = {"step": step, "loss": loss.item(), "lr": scheduler.get_last_lr()[0]}
            out_of_time = config.max_minutes and time.time() - start > 60 * config.max_minutes
            if step % config.eval_every == 0 or step == total or out_of_time:
                record.update(evaluate(model, eval_sets))
                score = next((v for k, v in record.items() if k.startswith("cer/")), -step)
                if score <= best:
                    best = score
                    model.save_pretrained(out_dir, safe_serialization=True)
                    write_json(out_dir / "vocab.json", {t: i for i, t in enumerate(TOKENS)})
                    write_json(out_dir / "selection.json", {"step": step, **record})
            with open(log_path, "a") as f:
                f.write(json.dumps(record) + "\n")
            if step >= total or out_of_time:
                bar.close()
                return Wav2Vec2ForCTC.from_pretrained(out_dir)
    bar.close()
    return Wav2Vec2ForCTC.from_pretrained(out_dir)
