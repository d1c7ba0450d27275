"""A torch dataset over the processed layout, and the collate function that pads clips into a Batch.

    dataset = TalkingFaceDataset("data/vocaset", "train")
    loader = DataLoader(dataset, batch_size=1, shuffle=True, collate_fn=collate)
    # distributed: DataLoader(dataset, sampler=DistributedSampler(dataset), collate_fn=collate)

Each item is a :class:`Clip`: speech at 16 kHz, mono, normalised as wav2vec 2.0 expects;
motion at the model's frame rate (every ``file_fps / fps``-th frame of the file, from the
first); the subject's neutral template. The dataset holds only paths and small arrays, so it
pickles cheaply into DataLoader workers; with ``cache=True`` each process keeps the clips it
has decoded in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from selftalk.audio import SAMPLE_RATE, load_audio, normalize
from selftalk.checks import finite_array
from selftalk.data.batch import Batch
from selftalk.data.layout import frame_step, open_motion
from selftalk.data.splits import split_clips, validate_split
from selftalk.errors import InputError


@dataclass(kw_only=True)
class Clip:
    """One clip as the dataset yields it.

    Attributes:
        name: ``{subject}_{sentence}``.
        subject: the speaker.
        audio: (S,) float32 speech at 16 kHz, zero mean and unit variance.
        vertices: (T, V, 3) float32 motion at the model's fps.
        template: (V, 3) float32 neutral face of the subject.
    """

    name: str
    subject: str
    audio: torch.Tensor
    vertices: torch.Tensor
    template: torch.Tensor


class TalkingFaceDataset(Dataset):
    """The clips of one split of a prepared dataset.

    Args:
        data_dir: a dataset in the processed layout (docs/data-format.md), or a folder in
            FaceFormer's, CodeTalker's, SelfTalk's or UniTalker's layout.
        split: a split name from ``splits.json`` (or from ``splits_file``), a
            {subject: [sentence, …]} mapping, or None for every clip with audio and motion.
        splits_file: a JSON file of named splits used instead of the dataset's own.
        fps: frame rate to yield motion at (default: the dataset's ``fps``); the file rate
            must be a whole multiple of it.
        sample_rate: audio rate (16 kHz for wav2vec 2.0).
        cache: keep decoded clips in memory (per process).
        normalize: give audio normalised to zero mean and unit variance (wav2vec 2.0), or
            as recorded (a phoneme recognizer hears levels as they are).
    """

    def __init__(
        self,
        data_dir: str | Path,
        split: str | Mapping[str, Sequence[str]] | None = None,
        *,
        splits_file: str | Path | None = None,
        fps: float | None = None,
        sample_rate: int = SAMPLE_RATE,
        cache: bool = False,
        normalize: bool = True,
    ):
        from selftalk.data.layouts import open_dataset

        self.layout = open_dataset(data_dir, split_file=splits_file)
        meta = self.layout.meta
        self.fps = meta.fps if fps is None else fps
        try:
            self.frame_step = frame_step(meta.file_fps, self.fps)
        except ValueError as error:
            raise InputError(
                self.layout.meta_path, f"cannot load at {self.fps} fps: {error}"
            ) from None
        self.sample_rate = sample_rate
        self.normalize = normalize
        self.notes: list[str] = []
        self.names = self._resolve_clips(split)
        self._audio_paths = [self.layout.audio_path(n) for n in self.names]
        self._vertex_paths = [self.layout.vertices_path(n) for n in self.names]
        self.clip_subjects = [self.layout.subject_of(n) for n in self.names]
        self.subjects = sorted(set(self.clip_subjects))
        templates = self.layout.templates()
        missing = [s for s in self.subjects if s not in templates]
        if missing:
            raise InputError(
                self.layout.templates_path, f"no template for subject(s) {', '.join(missing)}"
            )
        self.templates = {s: templates[s] for s in self.subjects}
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] | None = {} if cache else None

    def _resolve_clips(self, split: str | Mapping[str, Sequence[str]] | None) -> list[str]:
        if split is None:
            return self.layout.clips()
        if isinstance(split, str):
            if not self.layout.splits() and self.layout.split_file is None:
                raise InputError(self.layout.splits_path, "no such splits file")
            members, note = self.layout.split(split)
            if note:
                self.notes.append(note)
        else:
            members = validate_split(split)
        names = split_clips(members)
        available = set(self.layout.clips())
        absent = [n for n in names if n not in available]
        if absent:
            shown = ", ".join(absent[:5]) + (
                f" and {len(absent) - 5} more" if len(absent) > 5 else ""
            )
            label = f"split {split!r}" if isinstance(split, str) else "the split"
            raise InputError(
                self.layout.root,
                f"{label} names clips without audio or motion: {shown} "
                f"(run `selftalk data check {self.layout.root}`)",
            )
        return names

    def __len__(self) -> int:
        return len(self.names)

    def frame_count(self, index: int) -> int:
        """Frames of clip ``index`` at the dataset's fps, read from the file header only."""
        motion = open_motion(self._vertex_paths[index])
        return len(range(0, len(motion), self.frame_step))

    def clip_audio(self, index: int) -> np.ndarray:
        """Clip ``index``'s audio alone, as :meth:`load` gives it (no motion is read)."""
        if self._cache is not None and index in self._cache:
            return self._cache[index][0]
        audio = load_audio(self._audio_paths[index], self.sample_rate)
        return normalize(audio) if self.normalize else audio

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Decoded clip ``index``: audio (S,) float32 (normalised unless asked not to), motion
        (T, V, 3) float32."""
        if self._cache is not None and index in self._cache:
            return self._cache[index]
        audio = self.clip_audio(index)
        vertices = self._load_motion(index)
        if self._cache is not None:
            self._cache[index] = (audio, vertices)
        return audio, vertices

    def _load_motion(self, index: int) -> np.ndarray:
        n_vertices = len(self.templates[self.clip_subjects[index]])
        path = self._vertex_paths[index]
        frames = np.array(open_motion(path, n_vertices)[:: self.frame_step], dtype=np.float32)
        return finite_array(frames, path, "its vertex positions").reshape(-1, n_vertices, 3)

    def __getitem__(self, index: int) -> Clip:
        audio, vertices = self.load(index)
        subject = self.clip_subjects[index]
        return Clip(
            name=self.names[index],
            subject=subject,
            audio=torch.from_numpy(audio.copy()),
            vertices=torch.from_numpy(vertices.copy()),
            template=torch.from_numpy(self.templates[subject].copy()),
        )


def collate(clips: Sequence[Clip]) -> Batch:
    """Zero-pad clips to the longest audio and motion of the batch, with their lengths."""
    if not clips:
        raise ValueError("cannot collate an empty list of clips")
    n_vertices = {tuple(c.template.shape) for c in clips}
    if len(n_vertices) > 1:
        raise ValueError(f"clips of different topologies in one batch: {sorted(n_vertices)}")
    audio_lengths = torch.tensor([len(c.audio) for c in clips], dtype=torch.int64)
    frame_lengths = torch.tensor([len(c.vertices) for c in clips], dtype=torch.int64)
    audio = torch.zeros(len(clips), int(audio_lengths.max()), dtype=torch.float32)
    vertices = torch.zeros(
        len(clips), int(frame_lengths.max()), *clips[0].template.shape, dtype=torch.float32
    )
    for i, clip in enumerate(clips):
        audio[i, : len(clip.audio)] = clip.audio
        vertices[i, : len(clip.vertices)] = clip.vertices
    return Batch(
        names=[c.name for c in clips],
        subjects=[c.subject for c in clips],
        audio=audio,
        audio_lengths=audio_lengths,
        vertices=vertices,
        frame_lengths=frame_lengths,
        templates=torch.stack([c.template for c in clips]),
    )
