"""The phoneme recognizer's outputs for training, computed once per clip and kept on disk.

An animator that hears through the phoneme recognizer, and a diagram whose teacher it is,
need its posteriors for every clip at every step; the recognizer is frozen and
deterministic, so they are computed once (:func:`~selftalk.models.phoneme_recognizer.analyse`)
and read back. Augmentation would defeat such a cache, so each clip has a fixed number of
augmented *variants*, each a deterministic function of the clip and its number: the animator
hears one of them (or the clean clip) at each step, and the teacher always hears the clean clip.

Entries live under ``root/<recognizer identity>/``: ``<audio hash>.safetensors`` for clean
clips and ``<audio hash>-<k>-<augmentation hash>.safetensors`` for variant k.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from selftalk.config import AugmentConfig
from selftalk.data.batch import Batch
from selftalk.models.phoneme_recognizer import (
    PhonemeRecognizer,
    PhonemeTeacher,
    analyse,
    make_features,
)
from selftalk.models.recognizer import RecognizerOutput
from selftalk.training.recognizer_cache import audio_key


class PhonemeCache:
    """Disk- and memory-backed :func:`analyse` entries of clean clips and their variants."""

    def __init__(
        self,
        root: str | Path,
        recognizer: PhonemeRecognizer,
        *,
        augment: AugmentConfig | None = None,
        variants: int = 0,
        prosody: bool = True,
    ):
        self.recognizer = recognizer
        self.augment = augment if augment is not None and augment.enabled else None
        self.variants = variants if self.augment is not None else 0
        self.prosody = prosody
        self.directory = Path(root) / recognizer.identity
        self.directory.mkdir(parents=True, exist_ok=True)
        self._augment_key = hashlib.sha256(
            json.dumps(asdict(self.augment) if self.augment else {}, sort_keys=True).encode()
        ).hexdigest()[:8]
        self._memory: dict[str, dict[str, np.ndarray]] = {}

    # ----------------------------------------------------------------------------------------

    def variant_audio(self, audio: np.ndarray, name: str, k: int) -> np.ndarray:
        """Variant ``k`` of a clip's (S,) audio: 0 is the clip itself; k > 0 a fixed random
        augmentation of it (the same for every run, seed and process)."""
        if k == 0:
            return audio
        from selftalk.training.augment import augment

        rng = np.random.default_rng([zlib.crc32(name.encode()), k])
        return augment(audio, self.augment, rng)

    def entry(self, audio: np.ndarray, name: str = "", k: int = 0) -> dict[str, np.ndarray]:
        """The entry of variant ``k`` of a clip, computed and stored if absent."""
        from safetensors.numpy import load_file, save_file

        from selftalk.io import atomic_path

        key = audio_key(audio) + (f"-{k}-{self._augment_key}" if k else "")
        if key in self._memory:
            return self._memory[key]
        path = self.directory / f"{key}.safetensors"
        entry = None
        if path.is_file():
            try:
                entry = load_file(str(path))
            except Exception:  # a torn or foreign file: compute it again
                path.unlink(missing_ok=True)
        if entry is None:
            entry = analyse(self.recognizer, self.variant_audio(audio, name, k))
            with atomic_path(path) as tmp:
                save_file(entry, str(tmp))
        self._memory[key] = entry
        return entry

    def fill(
        self, clips: list[tuple[str, np.ndarray]], *, variants: bool = True, progress: bool = True
    ) -> None:
        """Compute every missing entry of ``(name, audio)`` clips (and of their variants)."""
        from tqdm import tqdm

        count = self.variants + 1 if variants else 1
        jobs = [(name, audio, k) for name, audio in clips for k in range(count)]
        for name, audio, k in tqdm(jobs, desc="phoneme cache", disable=not progress, leave=False):
            self.entry(audio, name, k)

    # ----------------------------------------------------------------------------------------

    def heard(self, batch: Batch, variants: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """What the animator hears of each clip of a batch, variant ``variants[i]`` of clip i:
        features (B, T, F) zero-padded and their (B,) lengths, on the batch's device."""
        rows = []
        for i, k in enumerate(variants):
            audio = _clip_audio(batch, i)
            e = self.entry(audio, batch.names[i], k)
            rows.append(make_features(e["log_probs"], e["prosody"] if self.prosody else None))
        lengths = torch.tensor([len(r) for r in rows])
        features = torch.zeros(len(rows), int(lengths.max()), rows[0].shape[1])
        for i, r in enumerate(rows):
            features[i, : len(r)] = torch.from_numpy(r)
        device = batch.audio.device
        return features.to(device), lengths.to(device)

    def recognized(self, batch: Batch, teacher: PhonemeTeacher) -> RecognizerOutput:
        """The teacher's output for the clean clips of a batch."""
        entries = [self.entry(_clip_audio(batch, i)) for i in range(len(batch))]
        return teacher.output(entries, batch.audio.device)


def _clip_audio(batch: Batch, i: int) -> np.ndarray:
    return batch.audio[i, : int(batch.audio_lengths[i])].detach().cpu().numpy()
