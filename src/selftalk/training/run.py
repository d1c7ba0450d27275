"""A training run on disk: build everything from a config and a dataset, train, resume.

``RUN_DIR`` holds ``config.json`` (the resolved configuration), ``run.json`` (code version,
data, command), ``metrics.jsonl`` and ``tensorboard/`` logs, ``checkpoints/``, the topology of
the data (``mesh.ply``, ``templates.npz``, ``regions/``) so that predictions need only the run,
and ``recognizer/`` when the recognizer was built rather than loaded.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from selftalk import __version__
from selftalk.checks import same_vertex_count
from selftalk.config import (
    SelfTalkConfig,
    SpeechEncoderConfig,
    apply_overrides,
    from_dict,
    to_dict,
)
from selftalk.data.layout import TopologyFiles
from selftalk.errors import ConfigError, InputError
from selftalk.io import read_json, write_json
from selftalk.models.recognizer import SpeechRecognizer
from selftalk.models.selftalk import SelfTalk
from selftalk.topology import Topology
from selftalk.training.distributed import Distributed, barrier, setup, teardown
from selftalk.training.loop import Trainer, TrainerHooks

#: what a resumed run may change: how long it goes on and how it reports, never what it trains
RESUMABLE_KEYS = {"epochs", "max_steps", "val_every", "save_every", "num_workers"}


def model_config_for(config: SelfTalkConfig, topology: Topology) -> SelfTalkConfig:
    """The config with the model's sizes taken from ``topology`` (vertices, lips, fps)."""
    model = dataclasses.replace(
        config.model,
        n_vertices=topology.n_vertices,
        n_lip_vertices=len(topology.lip_indices),
        fps=topology.fps,
    )
    return dataclasses.replace(config, model=model).validate()


#: glibc mmap threshold training fixes (bytes; see keep_large_arrays_out_of_the_heap)
MMAP_THRESHOLD = 32 << 20


def keep_large_arrays_out_of_the_heap() -> None:
    """Fix glibc's mmap threshold at 32 MiB, so that glibc stops adjusting it.

    Training reads each clip's motion (megabytes) again and again while the caches fill with
    small long-lived objects. glibc's default raises its mmap threshold after each large free
    and its trim threshold with it, and the heap only grew (9 GB after three epochs on a
    2-hour corpus, until the kernel killed the run). A fixed threshold stops that. At 128 KiB
    every large tensor a step makes is fresh pages the kernel must zero (1.55 s a step on 2
    threads); at 32 MiB, glibc's own ceiling, they come from the heap (0.89 s a step), and
    runs on the whole SynthTalk corpus held 1.5-5.6 GB each for 16 epochs. glibc's own
    ``MALLOC_MMAP_THRESHOLD_`` in the environment, where set, is left to rule (131072 for the
    128 KiB threshold)."""
    if not os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        set_mmap_threshold(MMAP_THRESHOLD)


def set_mmap_threshold(threshold: int) -> None:
    """glibc's ``mallopt(M_MMAP_THRESHOLD, threshold)``; elsewhere than glibc, nothing."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(-3, threshold)  # M_MMAP_THRESHOLD
    except OSError:
        pass


def code_version() -> dict[str, str]:
    """selftalk's version and, in a git checkout, the commit."""
    version = {"selftalk": __version__, "torch": torch.__version__}
    try:
        root = Path(__file__).resolve().parents[3]
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if commit.returncode == 0:
            version["git_commit"] = commit.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return version


def load_run_config(run_dir: str | Path) -> SelfTalkConfig:
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise InputError(run_dir, "not a training run directory (no config.json)")
    try:
        return from_dict(SelfTalkConfig, read_json(path))
    except ConfigError as error:
        raise InputError(path, str(error)) from None


def extend_run_config(config: SelfTalkConfig, overrides: dict) -> SelfTalkConfig:
    """Apply the overrides a resumed run accepts (``train.epochs``, ``train.max_steps``, …)."""
    for key, value in overrides.items():
        if key != "train" or not isinstance(value, dict) or not set(value) <= RESUMABLE_KEYS:
            allowed = ", ".join(f"train.{k}" for k in sorted(RESUMABLE_KEYS))
            raise ConfigError(f"a resumed run can only change {allowed}")
    return apply_overrides(config, overrides).validate()


def build_teacher(config: SelfTalkConfig, run_dir: Path, dist: Distributed):
    """The diagram's frozen recognizer: a wav2vec 2.0 CTC model, or the phoneme recognizer
    reading into the lip reader's vocabulary."""
    if config.recognizer_kind == "phonemes":
        from selftalk.models.phoneme_recognizer import PhonemeRecognizer, PhonemeTeacher
        from selftalk.phonetics import ReadingVocabulary

        recognizer = PhonemeRecognizer(config.model.animator.ears)
        return PhonemeTeacher(recognizer, ReadingVocabulary(config.model.lip_reader.reading))
    return build_recognizer(config.recognizer, run_dir, dist)


def build_recognizer(
    spec: SpeechEncoderConfig, run_dir: Path, dist: Distributed
) -> SpeechRecognizer:
    """Load the configured recognizer, or build one at random and keep it in ``run_dir/recognizer``."""
    saved = run_dir / "recognizer"
    if spec.pretrained is not None:
        return SpeechRecognizer.from_config(spec)
    if dist.is_main and not saved.is_dir():
        SpeechRecognizer.from_config(spec).model.save_pretrained(saved)
    barrier(dist)  # every process waits until rank 0 has written it
    return SpeechRecognizer.from_config(dataclasses.replace(spec, pretrained=str(saved)))


def train(
    config: SelfTalkConfig | None,
    *,
    data_dir: str | Path,
    run_dir: str | Path,
    resume: bool = False,
    resume_overrides: dict | None = None,
    device: str = "auto",
    train_split: str = "train",
    val_split: str | None = "val",
    hooks: TrainerHooks | None = None,
    progress: bool = True,
    argv: list[str] | None = None,
    cache_dir: str | Path | None = None,
) -> Trainer:
    """Train a SelfTalk model on a prepared dataset; with ``resume``, continue ``run_dir``.

    Launched by ``torchrun``, each process trains its share and rank 0 writes the run.
    ``resume_overrides`` may extend a resumed run (see :func:`extend_run_config`).
    ``cache_dir`` keeps the recognizer cache somewhere several runs share (default: inside
    the run).
    """
    from selftalk.data.dataset import TalkingFaceDataset, collate
    from selftalk.data.layout import DatasetLayout

    run_dir = Path(run_dir)
    keep_large_arrays_out_of_the_heap()
    dist = setup(device)
    try:
        if resume:
            config = extend_run_config(load_run_config(run_dir), resume_overrides or {})
        layout = DatasetLayout(data_dir)
        topology = layout.topology()
        same_vertex_count(
            topology.n_vertices, layout.meta.n_vertices, layout.mesh_path, "meta.json says"
        )
        if resume:  # the run's model has its sizes: the data must have them too
            same_vertex_count(
                topology.n_vertices,
                config.model.n_vertices,
                layout.mesh_path,
                f"the run {run_dir} animates",
            )
        config = model_config_for(config, topology)
        torch.manual_seed(config.train.seed)
        if dist.is_main and not resume:
            _start_run_dir(run_dir, config, data_dir, argv)
        barrier(dist)
        model = SelfTalk(config.model, topology.lip_indices)
        recognizer = build_teacher(config, run_dir, dist) if config.loss.uses_diagram else None
        normalize = config.model.animator.input == "waveform"
        train_set = TalkingFaceDataset(
            data_dir, train_split, fps=topology.fps, cache=normalize, normalize=normalize
        )
        for subject, template in train_set.templates.items():
            same_vertex_count(
                len(template),
                topology.n_vertices,
                f"{layout.templates_path} ({subject})",
                "the dataset's mesh has",
            )
        val_set = (
            TalkingFaceDataset(
                data_dir, val_split, fps=topology.fps, cache=normalize, normalize=normalize
            )
            if val_split
            else None
        )
        trainer = Trainer(
            config=config,
            model=model,
            recognizer=recognizer,
            train_set=train_set,
            val_set=val_set,
            collate=collate,
            run_dir=run_dir,
            dist=dist,
            hooks=hooks or TrainerHooks(),
            progress=progress,
            cache_dir=Path(cache_dir) if cache_dir is not None else None,
        )
        if resume:
            trainer.resume()
        trainer.fit()
        barrier(dist)  # no rank tears down while another still communicates (gloo aborts)
        return trainer
    finally:
        teardown(dist)


def _start_run_dir(
    run_dir: Path, config: SelfTalkConfig, data_dir: str | Path, argv: list[str] | None
) -> None:
    if (run_dir / "checkpoints").exists():
        raise InputError(
            run_dir,
            "already holds a training run: use --resume to continue it, or choose another -o/--output",
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / "config.json", to_dict(config))
    write_json(
        run_dir / "run.json",
        {
            "code": code_version(),
            "data": str(Path(data_dir)),
            "command": argv if argv is not None else sys.argv,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )
    copy_topology(data_dir, run_dir)


def copy_topology(source: str | Path, target: str | Path) -> None:
    """Copy the mesh, templates and regions of a dataset/run/model directory into another."""
    TopologyFiles(source).copy_to(target)
