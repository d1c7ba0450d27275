"""Cache of the frozen recognizer's outputs, computed once per clip and stored on disk.

The recognizer is frozen and always in eval mode, so its hidden states and greedy tokens are a
function of the audio alone: training steps read them from disk instead of running a
300M-parameter network. Entries are keyed by a hash of the audio samples and of the
recognizer's weights (:meth:`SpeechRecognizer.identity`), so a changed clip or recognizer
never reads stale values.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from selftalk.data.batch import Batch
from selftalk.models.recognizer import RecognizerOutput, SpeechRecognizer


def audio_key(samples: np.ndarray | torch.Tensor) -> str:
    """A content hash of float32 audio samples."""
    if isinstance(samples, torch.Tensor):
        samples = samples.detach().cpu().numpy()
    return hashlib.sha256(np.ascontiguousarray(samples, dtype=np.float32).tobytes()).hexdigest()[
        :24
    ]


class RecognizerCache:
    """Disk-backed recognizer outputs under ``root/<recognizer identity>/<audio hash>.safetensors``."""

    def __init__(
        self,
        root: str | Path,
        recognizer: SpeechRecognizer,
        *,
        dtype=torch.float32,
        memory_entries: int = 4096,
    ):
        self.recognizer = recognizer
        self.dtype = dtype
        self._memory: dict[str, dict[str, torch.Tensor]] = {}  # entries read this run
        self._memory_entries = memory_entries
        self.directory = Path(root) / recognizer.identity()
        self.directory.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.safetensors"

    def _compute(self, audio: torch.Tensor) -> dict[str, torch.Tensor]:
        device = next(self.recognizer.parameters()).device
        out = self.recognizer(audio[None].to(device))
        n = int(out.lengths[0])
        return {
            "hidden": out.hidden[0, :n].to("cpu", self.dtype).contiguous(),
            "token_ids": out.token_ids[0, :n].to("cpu", torch.int16).contiguous(),
        }

    def entry(self, audio: torch.Tensor, key: str | None = None) -> dict[str, torch.Tensor]:
        """The cached outputs for one clip's (S,) audio, computing and storing them if absent."""
        from safetensors.torch import load_file, save_file

        from selftalk.io import atomic_path

        key = key or audio_key(audio)
        if key in self._memory:
            return self._memory[key]
        path = self.path(key)
        entry = None
        if path.is_file():
            try:
                entry = load_file(str(path))
            except Exception:  # a torn or foreign file: recompute it
                path.unlink(missing_ok=True)
        if entry is None:
            entry = self._compute(audio)
            with atomic_path(path) as tmp:
                save_file(entry, str(tmp))
        if len(self._memory) < self._memory_entries:
            self._memory[key] = entry
        return entry

    def fill(self, clips, progress: bool = True) -> int:
        """Compute every missing entry of an iterable of (S,) audio tensors; returns how many."""
        from tqdm import tqdm

        computed = 0
        for audio in tqdm(clips, desc="recognizer cache", disable=not progress, leave=False):
            if not self.path(audio_key(audio)).is_file():
                self.entry(audio)
                computed += 1
        return computed

    def batch(self, batch: Batch) -> RecognizerOutput:
        """Recognizer outputs of a padded batch, from the cache (filling gaps)."""
        entries = [
            self.entry(batch.audio[i, : int(batch.audio_lengths[i])].cpu())
            for i in range(len(batch))
        ]
        lengths = torch.tensor([len(e["token_ids"]) for e in entries])
        width = int(lengths.max())
        hidden = torch.zeros(len(entries), width, entries[0]["hidden"].shape[-1])
        token_ids = torch.zeros(len(entries), width, dtype=torch.long)
        for i, e in enumerate(entries):
            hidden[i, : lengths[i]] = e["hidden"].float()
            token_ids[i, : lengths[i]] = e["token_ids"].long()
        device = batch.audio.device
        return RecognizerOutput(
            hidden=hidden.to(device), token_ids=token_ids.to(device), lengths=lengths.to(device)
        )
