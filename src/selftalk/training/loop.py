"""The training loop: optimise the commutative diagram, validate on the whole split, checkpoint.

Data order is a function of (seed, epoch) alone — the same permutation for one process or
many — so a resumed run, a run split over processes and an uninterrupted run see the same
global batches in the same order.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from selftalk.config import SelfTalkConfig
from selftalk.data.batch import Batch
from selftalk.errors import InputError, TrainingError
from selftalk.models.diagram import CommutativeDiagram
from selftalk.models.phoneme_recognizer import PhonemeTeacher
from selftalk.models.recognizer import SpeechRecognizer
from selftalk.models.selftalk import SelfTalk
from selftalk.training.augment import augment_batch
from selftalk.training.buckets import similar_length_order
from selftalk.training.checkpoint import (
    TrainingState,
    mark_best,
    restore,
    resume_candidates,
    save_checkpoint,
)
from selftalk.training.distributed import Distributed, all_reduce_sum
from selftalk.training.phoneme_cache import PhonemeCache
from selftalk.training.recognizer_cache import RecognizerCache


@dataclass(kw_only=True)
class TrainerHooks:
    """Optional callables: ``on_log`` sees every logged record."""

    on_log: Callable[[dict], None] | None = None


@dataclass(kw_only=True)
class Trainer:
    """Trains ``model`` against ``recognizer`` on ``train_set``; see :meth:`fit`."""

    config: SelfTalkConfig
    model: SelfTalk
    recognizer: SpeechRecognizer | None
    train_set: Dataset
    val_set: Dataset | None
    collate: Callable
    run_dir: Path
    dist: Distributed = field(default_factory=Distributed)
    hooks: TrainerHooks = field(default_factory=TrainerHooks)
    progress: bool = True
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        train = self.config.train
        if train.batch_size % self.dist.world_size:
            from selftalk.errors import ConfigError

            raise ConfigError(
                f"train.batch_size ({train.batch_size}) must be divisible by the "
                f"number of processes ({self.dist.world_size})"
            )
        self.device = self.dist.device
        self.model.to(self.device)
        if self.recognizer is not None:
            self.recognizer.to(self.device)
        self.diagram = CommutativeDiagram(self.model, self.recognizer, self.config.loss)
        self.cache = self.phonemes = None
        cache_root = self.cache_dir or self.run_dir / "recognizer-cache"
        if self.model.animator.hears_phonemes or isinstance(self.recognizer, PhonemeTeacher):
            self.phonemes = PhonemeCache(
                cache_root,
                self.model.ears,
                augment=train.augment,
                variants=train.augment_variants,
                prosody=self.config.model.animator.prosody,
                stream_core=train.stream_core if self.model.animator.hears_phonemes else 0,
            )
        elif (
            self.recognizer is not None and self.config.loss.uses_diagram and train.cache_recognizer
        ):
            self.cache = RecognizerCache(cache_root, self.recognizer)
        self.wrapped = self.diagram
        if self.dist.enabled:
            self.wrapped = torch.nn.parallel.DistributedDataParallel(
                self.diagram,
                device_ids=[self.device.index] if self.device.type == "cuda" else None,
                find_unused_parameters=not self.config.loss.uses_diagram,
            )
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = (
            torch.optim.AdamW(params, lr=train.lr, weight_decay=train.weight_decay)
            if train.weight_decay > 0
            else torch.optim.Adam(params, lr=train.lr)
        )
        self.per_rank_batch = train.batch_size // self.dist.world_size
        self.batches_per_epoch = math.ceil(
            len(self._indices(self.train_set, epoch=0, shuffle=True)) / self.per_rank_batch
        )
        self.steps_per_epoch = math.ceil(self.batches_per_epoch / train.grad_accum)
        self.total_steps = self.steps_per_epoch * train.epochs
        if train.max_steps:
            self.total_steps = min(self.total_steps, train.max_steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        self.state = TrainingState()
        self._writer = None

    # ----------------------------------------------------------------------------------------

    def _lr_factor(self, step: int) -> float:
        train = self.config.train
        if train.warmup_steps and step < train.warmup_steps:
            return (step + 1) / train.warmup_steps
        if train.scheduler == "cosine":
            span = max(1, self.total_steps - train.warmup_steps)
            return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - train.warmup_steps) / span)))
        return 1.0

    def _indices(self, dataset: Dataset, *, epoch: int, shuffle: bool) -> list[int]:
        """This process's share of ``dataset`` for ``epoch``: a permutation that depends on
        (seed, epoch) only, dealt round-robin to the processes. Training shares are padded to
        equal length (as ``DistributedSampler`` does); evaluation shares are not."""
        if not shuffle:
            return list(range(self.dist.rank, len(dataset), self.dist.world_size))
        sampler = DistributedSampler(
            dataset,
            num_replicas=self.dist.world_size,
            rank=self.dist.rank,
            shuffle=True,
            seed=self.config.train.seed,
            drop_last=False,
        )
        sampler.set_epoch(epoch)
        share = list(sampler)
        if not self.config.train.length_buckets:
            return share
        rng = np.random.default_rng([self.config.train.seed, epoch, self.dist.rank, 2])
        fps = self.config.model.fps
        return similar_length_order(
            share, self._train_frame_counts, self.per_rank_batch, rng, jitter=0.5 * fps
        )

    @functools.cached_property
    def _train_frame_counts(self) -> np.ndarray:
        """(N,) frames of each training clip, read from the file headers once."""
        return np.array([self.train_set.frame_count(i) for i in range(len(self.train_set))])

    def _loader(self, dataset: Dataset, *, epoch: int, shuffle: bool, skip: int = 0) -> DataLoader:
        indices = self._indices(dataset, epoch=epoch, shuffle=shuffle)[skip * self.per_rank_batch :]
        # a private generator: making the iterator must not draw from the global RNG, so that
        # a run resumed mid-epoch continues the exact random stream of an uninterrupted one
        generator = torch.Generator().manual_seed(self.config.train.seed + epoch)
        return DataLoader(
            dataset,
            batch_size=self.per_rank_batch,
            sampler=indices,
            collate_fn=self.collate,
            num_workers=self.config.train.num_workers,
            generator=generator,
        )

    def _autocast(self):
        if self.device.type == "cuda" and self.config.train.amp:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _recognized(self, batch: Batch):
        """The frozen recognizer's output for a batch's clean audio, from a cache (or None:
        the diagram runs the recognizer itself, or has none)."""
        if isinstance(self.diagram.recognizer, PhonemeTeacher):
            return self.phonemes.recognized(batch, self.diagram.recognizer)
        return self.cache.batch(batch) if self.cache is not None else None

    def _heard(self, batch: Batch, *, augmented: bool):
        """What an animator that hears phonemes hears of a batch (None for a waveform one):
        at training steps a random variant of each clip, the clean clip otherwise."""
        if not self.model.animator.hears_phonemes:
            return None
        variants = [0] * len(batch)
        if augmented and self.phonemes.count > 1:
            seed = [self.config.train.seed, self.state.step, self.state.batch_in_epoch, 1]
            rng = np.random.default_rng(seed + [self.dist.rank])
            variants = rng.integers(0, self.phonemes.count, size=len(batch)).tolist()
        return self.phonemes.heard(batch, variants)

    def _forward(self, batch: Batch):
        batch = batch.to(self.device)
        recognized = self._recognized(batch)
        heard = self._heard(batch, augmented=True)
        augment = self.config.train.augment
        if augment.enabled and heard is None:
            # the animator hears augmented audio; the recognizer's targets stay the clean ones
            if recognized is None and self.diagram.recognizer is not None:
                with torch.no_grad():
                    recognized = self.diagram.recognizer(batch.audio, batch.audio_lengths)
            seed = [
                self.config.train.seed,
                self.state.step,
                self.state.batch_in_epoch,
                self.dist.rank,
            ]
            batch = augment_batch(batch, augment, np.random.default_rng(seed))
        with self._autocast():
            return self.wrapped(batch, recognized, heard)

    # ----------------------------------------------------------------------------------------

    def resume(self) -> None:
        """Continue from the run's latest checkpoint: weights, optimizer, scheduler, RNG, data
        position. A damaged checkpoint is passed over for the previous intact one."""
        from safetensors.torch import load_file

        damaged = []
        for path in resume_candidates(self.run_dir):
            try:
                weights = path / "model" / "model.safetensors"
                try:
                    state = load_file(str(weights), device=str(self.device))
                    self.model.load_state_dict(state)
                except Exception as error:  # noqa: BLE001 - truncated, or not this model's
                    raise InputError(weights, f"not readable weights ({error})") from None
                self.state = restore(path, optimizer=self.optimizer, scheduler=self.scheduler)
            except InputError as error:
                damaged.append(f"{path.name} ({str(error).splitlines()[0][:160]})")
                continue
            if damaged and self.dist.is_main:
                print(
                    f"selftalk train: warning: passed over damaged checkpoint(s) "
                    f"{'; '.join(damaged)}; resuming from {path.name}",
                    file=sys.stderr,
                )
            return
        if damaged:
            raise InputError(self.run_dir, f"every checkpoint is damaged: {'; '.join(damaged)}")
        raise InputError(self.run_dir, "has no checkpoint to resume from")

    def fit(self) -> TrainingState:
        """Train until ``train.epochs`` (or ``train.max_steps``); returns the final counters."""
        from tqdm import tqdm

        train = self.config.train
        if self.state.step == 0 and self.model.animator.basis is not None:
            self._fit_basis()
        if self.cache is not None or self.phonemes is not None:
            self._fill_cache()
        bar = tqdm(
            total=self.total_steps,
            initial=self.state.step,
            desc="train",
            unit="step",
            disable=not (self.progress and self.dist.is_main),
            dynamic_ncols=True,
        )
        try:
            while self.state.epoch < train.epochs and not self._done():
                self._train_epoch(bar)
                if self.state.batch_in_epoch < self.batches_per_epoch:
                    self._checkpoint(None)  # stopped by max_steps mid-epoch: keep the position
                    break
                self.state.epoch += 1
                self.state.batch_in_epoch = 0
                val_loss = None
                if self.val_set is not None and self.state.epoch % train.val_every == 0:
                    val_loss = self._validate()
                if (
                    self.state.epoch % train.save_every == 0
                    or self._done()
                    or self.state.epoch == train.epochs
                ):
                    self._checkpoint(val_loss)
        finally:
            bar.close()
            if self._writer is not None:
                self._writer.close()
        return self.state

    def _done(self) -> bool:
        return bool(self.config.train.max_steps) and self.state.step >= self.config.train.max_steps

    def _train_epoch(self, bar) -> None:
        train = self.config.train
        self.wrapped.train()
        loader = self._loader(
            self.train_set, epoch=self.state.epoch, shuffle=True, skip=self.state.batch_in_epoch
        )
        sums: dict[str, float] = {}
        micro = 0
        self.optimizer.zero_grad(set_to_none=True)
        for batch in loader:
            micro += 1
            self.state.batch_in_epoch += 1
            last_micro = (
                micro % train.grad_accum == 0 or self.state.batch_in_epoch == self.batches_per_epoch
            )
            sync = (
                contextlib.nullcontext()
                if (last_micro or not self.dist.enabled)
                else self.wrapped.no_sync()
            )
            with sync:
                out = self._forward(batch)
                (out.loss / train.grad_accum).backward()
            for name, value in out.terms.items():
                sums[name] = sums.get(name, 0.0) + float(value.detach()) / train.grad_accum
            sums["loss"] = sums.get("loss", 0.0) + float(out.loss.detach()) / train.grad_accum
            if not last_micro:
                continue
            self._optimizer_step()
            sums = self._global_mean(sums)  # every process sees a NaN any of them met
            if not math.isfinite(sums["loss"]):
                raise TrainingError(
                    f"the training loss became {sums['loss']} at step {self.state.step} "
                    f"(epoch {self.state.epoch}); stopped without saving. Lower train.lr or "
                    "set train.grad_clip, check the data (selftalk data check), and resume "
                    "from the last checkpoint with --resume"
                )
            self._log(
                {
                    "step": self.state.step,
                    "epoch": self.state.epoch,
                    "lr": self.scheduler.get_last_lr()[0],
                    **{f"train/{k}": v for k, v in sums.items()},
                }
            )
            bar.update(1)
            bar.set_postfix(loss=f"{sums['loss']:.4g}", epoch=self.state.epoch)
            sums, micro = {}, 0
            if self._done():
                return

    def _global_mean(self, values: dict[str, float]) -> dict[str, float]:
        """Average logged values over processes, so the log speaks of the global batch."""
        if not self.dist.enabled:
            return values
        keys = sorted(values)
        tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=self.device)
        tensor = all_reduce_sum(tensor, self.dist) / self.dist.world_size
        return dict(zip(keys, tensor.tolist()))

    def _optimizer_step(self) -> None:
        train = self.config.train
        clip_gradients(self.model, train.grad_clip, by_module=train.grad_clip_by_module)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.state.step += 1

    @torch.no_grad()
    def _validate(self) -> float:
        """Loss terms averaged over every clip of the validation split (all processes)."""
        self.wrapped.eval()
        names = ("loss",) + self.diagram.term_names
        totals = torch.zeros(len(names) + 1, dtype=torch.float64, device=self.device)
        for batch in self._loader(self.val_set, epoch=0, shuffle=False):
            batch = batch.to(self.device)
            with self._autocast():
                out = self.diagram(
                    batch, self._recognized(batch), self._heard(batch, augmented=False)
                )
            n = len(batch)
            totals[0] += float(out.loss) * n
            for i, name in enumerate(names[1:], start=1):
                totals[i] += float(out.per_clip[name].sum())
            totals[-1] += n
        totals = all_reduce_sum(totals, self.dist)
        count = max(float(totals[-1]), 1.0)
        record = {"step": self.state.step, "epoch": self.state.epoch}
        for i, name in enumerate(names):
            record[f"val/{name}"] = float(totals[i]) / count
        self._log(record)
        self.wrapped.train()
        return record["val/loss"]

    def _checkpoint(self, val_loss: float | None) -> None:
        if not self.dist.is_main:
            return
        improved = val_loss is not None and (
            self.state.best_val_loss is None or val_loss < self.state.best_val_loss
        )
        if improved:
            self.state.best_val_loss = val_loss
        path = save_checkpoint(
            self.run_dir,
            model=self.model,
            optimizer=self.optimizer,
            scheduler=self.scheduler,
            state=self.state,
        )
        if improved:
            mark_best(self.run_dir, path, val_loss)

    def _fit_basis(self, max_frames: int = 20_000) -> None:
        """Fit the vertex head's motion basis to training motion (every process alike: the same
        clips, a seeded SVD), before the first step."""
        rng = np.random.default_rng(0)
        order = rng.permutation(len(self.train_set))
        offsets, total = [], 0
        for i in order:
            _, vertices = self.train_set.load(int(i))
            template = self.train_set.templates[self.train_set.clip_subjects[int(i)]]
            offsets.append(torch.from_numpy(vertices - template))
            total += len(vertices)
            if total >= max_frames:
                break
        kept = self.model.animator.basis.fit(torch.cat(offsets)[:max_frames])
        self._log({"step": 0, "epoch": 0, "basis/explained_variance": kept})

    def _fill_cache(self) -> None:
        """Run the recognizer once over every clip of this process's share (and validation)."""
        if self.phonemes is not None:
            show = self.progress and self.dist.is_main
            for dataset, variants in ((self.train_set, True), (self.val_set, False)):
                if dataset is None:
                    continue
                indices = self._indices(dataset, epoch=0, shuffle=False)
                clips = [(dataset.names[i], dataset.clip_audio(i)) for i in indices]
                workers = max(1, (os.cpu_count() or 1) // self.dist.world_size)
                self.phonemes.fill(clips, variants=variants, progress=show, workers=workers)
            return
        clips = []
        for dataset in (self.train_set, self.val_set):
            if dataset is None:
                continue
            clips.extend(dataset[i].audio for i in self._indices(dataset, epoch=0, shuffle=False))
        self.cache.fill(clips, progress=self.progress and self.dist.is_main)

    def _log(self, record: dict) -> None:
        if not self.dist.is_main:
            return
        record = {"time": round(time.time(), 3), **record}
        with open(self.run_dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")
        writer = self._tensorboard()
        if writer is not None:
            for key, value in record.items():
                if "/" in key or key == "lr":
                    writer.add_scalar(key, value, record["step"])
        if self.hooks.on_log is not None:
            self.hooks.on_log(record)

    def _tensorboard(self):
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(self.run_dir / "tensorboard"))
        return self._writer


def clip_gradients(model: torch.nn.Module, clip: float, *, by_module: bool) -> None:
    """Clip the gradient norm of ``model`` to ``clip`` (0: leave it), or of each of its
    top-level modules (the animator, the lip reader) separately."""
    if clip <= 0:
        return
    groups = [m.parameters() for m in model.children()] if by_module else [model.parameters()]
    for parameters in groups:
        torch.nn.utils.clip_grad_norm_(parameters, clip)
