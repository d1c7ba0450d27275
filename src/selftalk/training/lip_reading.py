"""A lip reader trained on its own, on ground-truth motion: to show that lips can be read (and
what the diagram's reader can reach), and as the *judge* that reads every system's motion.

The reader is a :class:`~selftalk.models.lip_reader.LipReadingInterpreter`. Its supervision:

- ``truth``: the phones a clip was made from (``meta.json`` ``clips.{clip}.phones``, timed
  ARPAbet, as SynthTalk writes them): a class for every 50 Hz frame (cross-entropy) and the
  phone sequence (CTC);
- ``recognizer``: what the diagram's frozen phoneme recognizer hears in the audio (its frame
  classes against the reader's posteriors, L_lat; its greedy transcript, CTC).

It reads with greedy CTC; :func:`error_rate` scores the result against the true phones
(phoneme or viseme error rate: edit distance over reference length, pooled over clips).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from selftalk.models.lip_reader import LipReadingInterpreter
from selftalk.models.vocab import greedy_ctc_labels
from selftalk.phonetics import SILENCE, ReadingVocabulary

FRAME_RATE = 50.0


@dataclass(kw_only=True)
class LipClip:
    """One clip for lip reading: lip offsets from the template and what is said.

    Attributes:
        name: the clip.
        lips: (T, n_lip, 3) float32 offsets of the lip vertices at ``fps``.
        fps: frame rate of ``lips``.
        phones: timed phones ``[(phone, start, end), …]`` in seconds, if known.
        frames: (T_50,) int64 recognizer frame classes (``recognizer`` supervision), if any.
        labels: recognizer transcript in the reading vocabulary, if any.
    """

    name: str
    lips: np.ndarray
    fps: float
    phones: list[tuple[str, float, float]] | None = None
    frames: np.ndarray | None = None
    labels: list[int] | None = None

    @property
    def n_frames_50(self) -> int:
        return int(round(len(self.lips) * FRAME_RATE / self.fps))


def load_lip_clips(data_dir, split: str, lip_indices=None) -> list[LipClip]:
    """The lips (offsets from each subject's template) and phones of a split's clips."""
    from selftalk.data.dataset import TalkingFaceDataset
    from selftalk.data.layout import open_motion

    dataset = TalkingFaceDataset(data_dir, split, normalize=False)
    rows = np.asarray(dataset.layout.topology().lip_indices if lip_indices is None else lip_indices)
    clips_meta = dataset.layout.meta.clips or {}
    out = []
    for i, name in enumerate(dataset.names):
        template = dataset.templates[dataset.clip_subjects[i]]
        # read only the lip columns of the memory-mapped file: whole frames of a 2-hour corpus
        # would fragment the heap into gigabytes
        motion = open_motion(dataset.layout.vertices_path(name), len(template))
        frames = motion.reshape(len(motion), -1, 3)[:: dataset.frame_step, rows]
        phones = clips_meta.get(name, {}).get("phones")
        out.append(
            LipClip(
                name=name,
                lips=(np.asarray(frames, np.float32) - template[rows]),
                fps=dataset.fps,
                phones=[tuple(p) for p in phones] if phones else None,
            )
        )
    return out


def true_sequence(clip: LipClip, vocabulary: ReadingVocabulary) -> list[int]:
    """The phones said in a clip as classes of ``vocabulary`` (silence left out)."""
    return vocabulary.encode([p for p, _, _ in clip.phones if p != SILENCE])


def true_frames(clip: LipClip, vocabulary: ReadingVocabulary) -> np.ndarray:
    """(T_50,) the class of the phone spoken at each 50 Hz frame centre."""
    n = clip.n_frames_50
    out = np.full(n, vocabulary.of_phone(SILENCE), np.int64)
    times = np.arange(n) / FRAME_RATE
    for phone, start, end in clip.phones:
        out[(times >= start) & (times < end)] = vocabulary.of_phone(phone)
    return out


def attach_recognizer_targets(clips: Sequence[LipClip], entries, teacher) -> None:
    """Give each clip the phoneme recognizer's frame classes and transcript (in place);
    ``entries`` are the clips' :func:`~selftalk.models.phoneme_recognizer.analyse` outputs."""
    for clip, entry in zip(clips, entries, strict=True):
        out = teacher.output([entry])
        labels, n = out.labels()
        clip.frames = out.hidden[0].argmax(-1).numpy()
        clip.labels = labels[0, : int(n[0])].tolist()


def _batch(clips: Sequence[LipClip], device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(c.lips) for c in clips])
    lips = torch.zeros(len(clips), int(lengths.max()), *clips[0].lips.shape[1:])
    for i, c in enumerate(clips):
        lips[i, : len(c.lips)] = torch.from_numpy(c.lips)
    targets = torch.tensor([c.n_frames_50 for c in clips])
    return lips.to(device), lengths.to(device), targets.to(device)


def reader_losses(
    reader: LipReadingInterpreter,
    clips: Sequence[LipClip],
    vocabulary: ReadingVocabulary,
    supervision: str,
) -> dict[str, torch.Tensor]:
    """Frame and CTC losses of a batch of clips (means over clips)."""
    device = next(reader.parameters()).device
    lips, lengths, targets = _batch(clips, device)
    out = reader.read(lips, lengths, targets)
    width = out.logits.shape[1]
    frames = torch.full((len(clips), width), -100, dtype=torch.long)
    sequences = []
    for i, c in enumerate(clips):
        if supervision == "truth":
            f, seq = true_frames(c, vocabulary), true_sequence(c, vocabulary)
        else:
            f, seq = c.frames, c.labels
        n = min(len(f), int(targets[i]))
        frames[i, :n] = torch.from_numpy(f[:n])
        sequences.append(seq)
    frames = frames.to(device)
    head = reader.latent_head if reader.config.latent == "posteriors" else reader.text_head
    frame_logits = head(out.features)
    frame_loss = F.cross_entropy(frame_logits.transpose(1, 2), frames, ignore_index=-100)
    label_lengths = torch.tensor([len(s) for s in sequences], device=device)
    labels = torch.zeros(len(clips), max(1, int(label_lengths.max())), dtype=torch.long)
    for i, s in enumerate(sequences):
        labels[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    log_probs = F.log_softmax(out.logits.float(), -1).transpose(0, 1)
    ctc = F.ctc_loss(log_probs, labels.to(device), out.lengths, label_lengths, zero_infinity=True)
    return {"frames": frame_loss, "ctc": ctc}


def train_reader(
    reader: LipReadingInterpreter,
    clips: Sequence[LipClip],
    vocabulary: ReadingVocabulary,
    *,
    supervision: str = "truth",
    epochs: int = 10,
    batch_size: int = 16,
    lr: float = 2e-3,
    seed: int = 0,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> LipReadingInterpreter:
    """Train ``reader`` on ``clips`` (AdamW, cosine decay); returns it in eval mode."""
    if supervision not in ("truth", "recognizer"):
        raise ValueError(f"supervision is 'truth' or 'recognizer', not {supervision!r}")
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(reader.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * math.ceil(len(clips) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=steps, pct_start=0.1)
    reader.train()
    for epoch in range(epochs):
        order = rng.permutation(len(clips))
        sums: dict[str, float] = {}
        for start in range(0, len(order), batch_size):
            chosen = [clips[i] for i in order[start : start + batch_size]]
            losses = reader_losses(reader, chosen, vocabulary, supervision)
            loss = losses["frames"] + 0.5 * losses["ctc"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(reader.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + v.item() * len(chosen) / len(clips)
        if on_epoch is not None:
            on_epoch(epoch, sums)
    return reader.eval()


@torch.no_grad()
def read(reader: LipReadingInterpreter, lips: np.ndarray, fps: float, *, merge: bool) -> list[int]:
    """Greedy CTC reading of (T, n_lip, 3) lip offsets → class ids of the reading vocabulary."""
    reader.eval()
    device = next(reader.parameters()).device
    x = torch.as_tensor(lips, dtype=torch.float32, device=device)[None]
    frames = torch.tensor([len(lips)], device=device)
    target = torch.round(frames.double() * FRAME_RATE / fps).long()
    out = reader.read(x, frames, target)
    labels, n = greedy_ctc_labels(out.logits.argmax(-1), out.lengths, delimiter=None, merge=merge)
    return labels[0, : int(n[0])].tolist()


def error_rate(pairs: Sequence[tuple[Sequence[int], Sequence[int]]]) -> float:
    """Pooled edit distance of (hypothesis, reference) sequences over the reference length."""
    from rapidfuzz.distance import Levenshtein

    edits = sum(Levenshtein.distance(list(h), list(r)) for h, r in pairs)
    return edits / max(1, sum(len(r) for _, r in pairs))


def to_visemes(ids: Sequence[int], phonemes: ReadingVocabulary) -> list[int]:
    """Phoneme class ids → viseme class ids (runs of one viseme merged)."""
    visemes = ReadingVocabulary("visemes")
    return visemes.encode([phonemes.symbols[i] for i in ids if i > 1])  # no blank, no SIL


def save_reader(reader: LipReadingInterpreter, directory, *, fps: float, supervision: str) -> None:
    """Write a reader as ``config.json`` + ``model.safetensors``."""
    from pathlib import Path

    from safetensors.torch import save_file

    from selftalk.config import to_dict
    from selftalk.io import atomic_path, write_json

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in reader.state_dict().items()}
    with atomic_path(directory / "model.safetensors") as tmp:
        save_file(state, str(tmp))
    write_json(
        directory / "config.json",
        {
            "format": "selftalk-lip-reader",
            "lip_reader": to_dict(reader.config),
            "fps": fps,
            "supervision": supervision,
        },
    )


def load_reader(directory) -> tuple[LipReadingInterpreter, dict]:
    """A reader written by :func:`save_reader`, in eval mode, and its ``config.json``."""
    from pathlib import Path

    from safetensors.torch import load_file

    from selftalk.config import LipReaderConfig, from_dict
    from selftalk.errors import InputError
    from selftalk.io import read_json

    directory = Path(directory)
    meta = read_json(directory / "config.json")
    if not isinstance(meta, dict) or meta.get("format") != "selftalk-lip-reader":
        raise InputError(directory / "config.json", "not a selftalk lip reader")
    config = from_dict(LipReaderConfig, meta["lip_reader"], path="lip_reader")
    state = load_file(str(directory / "model.safetensors"))
    reader = LipReadingInterpreter(config, state["lip_indices"])
    reader.load_state_dict(state)
    return reader.eval(), meta
