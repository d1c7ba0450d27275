"""Training checkpoints: model, optimizer, scheduler, counters and RNG states, safetensors + JSON.

Layout of a run directory::

    RUN_DIR/checkpoints/step-000120/   model/ (config.json, model.safetensors)
                                       optimizer.safetensors, state.json
    RUN_DIR/checkpoints/latest.json    {"name": "step-000120"}  (written last, atomically)
    RUN_DIR/checkpoints/best.json      {"name": ..., "val_loss": ...}

A checkpoint directory is written in full before ``latest.json`` points at it, so a run killed
mid-checkpoint resumes from the previous one; a checkpoint damaged later (a truncated file,
broken JSON) is passed over for the previous intact one (:func:`resume_candidates`). Pointers
name a ``step-N`` folder of the run, nothing else. Nothing is pickled: tensors go to
safetensors, everything else to JSON.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from selftalk.errors import InputError
from selftalk.io import write_json

LATEST, BEST = "latest.json", "best.json"
_NAME = re.compile(r"step-\d+")  # what a pointer may name: a checkpoint folder of this run


@dataclass(kw_only=True)
class TrainingState:
    """Counters of a run. ``batch_in_epoch`` > 0 marks a checkpoint taken mid-epoch."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    best_val_loss: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


def rng_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Every generator's state, split into tensors and JSON-ready values."""
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda.{i}"] = s
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return tensors, {
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(gauss)],
        "python": [version, list(internal), gauss_next],
    }


def set_rng_state(tensors: dict[str, torch.Tensor], values: dict[str, Any]) -> None:
    torch.set_rng_state(tensors["torch"].to(torch.uint8))
    cuda = [tensors[k] for k in sorted(k for k in tensors if k.startswith("cuda."))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([t.to(torch.uint8) for t in cuda])
    kind, keys, pos, has_gauss, gauss = values["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, gauss))
    version, internal, gauss_next = values["python"]
    random.setstate((version, tuple(internal), gauss_next))


def _flatten_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors, scalars = {}, {}
    for index, values in state["state"].items():
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{index}.{name}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in list(tensors.items()) + list(meta["scalars"].items()):
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def save_checkpoint(
    run_dir: str | Path,
    *,
    model,
    optimizer: torch.optim.Optimizer,
    scheduler,
    state: TrainingState,
    keep: int = 2,
) -> Path:
    """Write a checkpoint of the current step and point ``latest.json`` at it."""
    from safetensors.torch import save_file

    root = Path(run_dir) / "checkpoints"
    name = f"step-{state.step:07d}"
    final = root / name
    staging = root / f".staging-{name}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_pretrained(staging / "model")
    opt_tensors, opt_meta = _flatten_optimizer(optimizer.state_dict())
    save_file(opt_tensors, str(staging / "optimizer.safetensors"))
    rng_tensors, rng_values = rng_state()
    save_file(rng_tensors, str(staging / "rng.safetensors"))
    write_json(
        staging / "state.json",
        {
            "state": vars(state),
            "optimizer": opt_meta,
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "rng": rng_values,
        },
    )
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    write_json(root / LATEST, {"name": name, "step": state.step, "epoch": state.epoch})
    _prune(root, keep=keep)
    return final


def mark_best(run_dir: str | Path, checkpoint: Path, val_loss: float) -> None:
    """Record ``checkpoint`` as the best so far (it is then never pruned)."""
    write_json(
        Path(run_dir) / "checkpoints" / BEST, {"name": checkpoint.name, "val_loss": val_loss}
    )


def _pointer(root: Path, name: str) -> str | None:
    """The checkpoint a pointer file names, or None when it is missing, damaged, or names
    anything but a ``step-N`` folder of this run (an absolute path, ``..``)."""
    try:
        target = json.loads((root / name).read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError, AttributeError):
        return None
    return target if isinstance(target, str) and _NAME.fullmatch(target) else None


def _prune(root: Path, keep: int) -> None:
    protected = {_pointer(root, LATEST), _pointer(root, BEST)}
    steps = sorted(p for p in root.glob("step-*") if p.is_dir())
    for old in steps[:-keep] if keep > 0 else steps:
        if old.name not in protected:
            shutil.rmtree(old, ignore_errors=True)
    for stale in root.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


def checkpoint_path(run_dir: str | Path, which: str = "latest") -> Path:
    """The directory of the ``latest`` or ``best`` checkpoint of a run."""
    root = Path(run_dir) / "checkpoints"
    name = _pointer(root, LATEST if which == "latest" else BEST)
    if name is None or not (root / name).is_dir():
        raise InputError(run_dir, f"has no {which} checkpoint (is it a training run directory?)")
    return root / name


def resume_candidates(run_dir: str | Path) -> list[Path]:
    """Checkpoints to resume from, best first: the one ``latest.json`` names, then every
    other ``step-N`` folder of the run, newest first."""
    root = Path(run_dir) / "checkpoints"
    steps = sorted(
        (p for p in root.glob("step-*") if p.is_dir() and _NAME.fullmatch(p.name)),
        key=lambda p: int(p.name.split("-")[1]),
        reverse=True,
    )
    latest = _pointer(root, LATEST)
    first = [root / latest] if latest is not None and (root / latest).is_dir() else []
    return first + [p for p in steps if p.name != latest]


def load_checkpoint(
    path: str | Path,
) -> tuple[dict[str, Any], dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """``(state.json, optimizer tensors, rng tensors)`` of a checkpoint directory; a missing or
    damaged file is an :class:`InputError` naming it."""
    from safetensors.torch import load_file

    from selftalk.io import read_json

    path = Path(path)
    meta = read_json(path / "state.json")
    if not isinstance(meta, dict) or not all(
        isinstance(meta.get(k), dict) for k in ("state", "optimizer", "rng")
    ):
        raise InputError(path / "state.json", "not a checkpoint state (state, optimizer, rng)")
    tensors = []
    for name in ("optimizer.safetensors", "rng.safetensors"):
        try:
            tensors.append(load_file(str(path / name)))
        except Exception as error:  # noqa: BLE001 - missing, truncated or not safetensors
            raise InputError(path / name, f"not a readable safetensors file ({error})") from None
    return meta, tensors[0], tensors[1]


def restore(path: Path, *, optimizer, scheduler) -> TrainingState:
    """Load optimizer, scheduler and RNG states from a checkpoint; return its counters."""
    meta, opt_tensors, rng_tensors = load_checkpoint(path)
    try:
        state = TrainingState(**meta["state"])
        optimizer.load_state_dict(_unflatten_optimizer(opt_tensors, meta["optimizer"]))
        if scheduler is not None and meta.get("scheduler") is not None:
            scheduler.load_state_dict(meta["scheduler"])
        set_rng_state(rng_tensors, meta["rng"])
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError) as error:
        raise InputError(path / "state.json", f"a damaged checkpoint state ({error})") from None
    return state
