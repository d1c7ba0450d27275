"""The phoneme recognizer's outputs for training, computed once per clip and kept on disk.

An animator that hears through the phoneme recognizer, and a diagram whose teacher it is,
need its posteriors for every clip at every step; the recognizer is frozen and
deterministic, so they are computed once (:func:`~selftalk.models.phoneme_recognizer.analyse`)
and read back. Augmentation would defeat such a cache, so each clip has a fixed number of
*variants*: augmented ones, each a deterministic function of the clip and its number, and
optionally the clean clip heard through the small windows a stream uses (``stream_core``). The
animator hears one of them (or the clean clip) at each step; the teacher always hears the
clean clip.

Entries live under ``root/<recognizer identity>/``: ``<audio hash>.safetensors`` for clean
clips, ``<audio hash>-<k>-<augmentation hash>.safetensors`` for augmented variant k and
``<audio hash>-s<core>.safetensors`` for the stream variant.
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
        stream_core: int = 0,
    ):
        self.recognizer = recognizer
        self.augment = augment if augment is not None and augment.enabled else None
        self.variants = variants if self.augment is not None else 0
        self.stream_core = stream_core
        self.prosody = prosody
        self.directory = Path(root) / recognizer.identity
        self.directory.mkdir(parents=True, exist_ok=True)
        self._augment_key = hashlib.sha256(
            json.dumps(asdict(self.augment) if self.augment else {}, sort_keys=True).encode()
        ).hexdigest()[:8]
        self._memory: dict[str, dict[str, np.ndarray]] = {}

    @property
    def count(self) -> int:
        """Versions of a clip: 0 the clean one, 1 … ``variants`` augmented, then the stream one."""
        return 1 + self.variants + (1 if self.stream_core else 0)

    def _key(self, audio: np.ndarray, k: int) -> str:
        if k == 0:
            return audio_key(audio)
        if k > self.variants:
            return f"{audio_key(audio)}-s{self.stream_core}"
        return f"{audio_key(audio)}-{k}-{self._augment_key}"

    # ----------------------------------------------------------------------------------------

    def variant_audio(self, audio: np.ndarray, name: str, k: int) -> np.ndarray:
        """Variant ``k`` of a clip's (S,) audio: 0 is the clip itself; k > 0 a fixed random
        augmentation of it (the same for every run, seed and process)."""
        if k == 0 or k > self.variants:
            return audio
        from selftalk.training.augment import augment

        rng = np.random.default_rng([zlib.crc32(name.encode()), k])
        return augment(audio, self.augment, rng)

    def entry(self, audio: np.ndarray, name: str = "", k: int = 0) -> dict[str, np.ndarray]:
        """The entry of variant ``k`` of a clip, computed and stored if absent."""
        from safetensors.numpy import load_file, save_file

        from selftalk.io import atomic_path

        key = self._key(audio, k)
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
            core = self.stream_core if k > self.variants else None
            entry = analyse(self.recognizer, self.variant_audio(audio, name, k), core=core)
            with atomic_path(path) as tmp:
                save_file(entry, str(tmp))
        self._memory[key] = entry
        return entry

    def fill(
        self,
        clips: list[tuple[str, np.ndarray]],
        *,
        variants: bool = True,
        progress: bool = True,
        workers: int = 1,
    ) -> None:
        """Compute every missing entry of ``(name, audio)`` clips (and of their variants), in
        ``workers`` processes (each with its own recognizer); the entries land on disk."""
        from tqdm import tqdm

        count = self.count if variants else 1
        jobs = [
            (name, audio, k)
            for name, audio in clips
            for k in range(count)
            if not (self.directory / f"{self._key(audio, k)}.safetensors").is_file()
        ]
        bar = tqdm(total=len(jobs), desc="phoneme cache", disable=not progress, leave=False)
        if workers <= 1 or len(jobs) < 2:
            for name, audio, k in jobs:
                self.entry(audio, name, k)
                bar.update()
        else:
            import multiprocessing

            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_init_worker, initargs=(self,)) as pool:
                for _ in pool.imap_unordered(_compute, jobs, chunksize=4):
                    bar.update()
        bar.close()

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


_WORKER: dict = {}


def _init_worker(cache: PhonemeCache) -> None:
    from selftalk.models.phoneme_recognizer import PhonemeRecognizer

    cache.recognizer = PhonemeRecognizer(cache.recognizer.config, threads=1)
    cache._memory = {}
    _WORKER["cache"] = cache


def _compute(job) -> None:
    name, audio, k = job
    cache = _WORKER["cache"]
    cache.entry(audio, name, k)
    cache._memory.clear()  # the parent reads it from disk
