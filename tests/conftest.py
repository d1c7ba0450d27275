"""Shared test helpers.

Tests that need an optional tool call :func:`require_module` or :func:`require_executable`:
locally a missing tool skips the test; on CI (``CI=true``) it fails it, because CI installs
everything (``make test``) and a skip there would hide a missing install step.
"""

from __future__ import annotations

import importlib
import os
import shutil

import pytest

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

if "PYTEST_XDIST_WORKER" in os.environ:
    # Under pytest-xdist (`make test`: one worker a CPU) each worker computes on one thread,
    # so workers do not fight over the cores; set before torch or numpy start their pools.
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_name, "1")


def _missing(what: str) -> None:
    if ON_CI:
        pytest.fail(f"{what} is missing on CI: `make test` should have installed it")
    pytest.skip(f"{what} is not installed")


def require_module(name: str):
    """Import and return module ``name``; skip locally (fail on CI) when it is missing."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"Python module {name!r}")


def require_executable(name: str) -> str:
    """Return the path of executable ``name``; skip locally (fail on CI) when it is missing."""
    path = shutil.which(name)
    if path is None:
        _missing(f"executable {name!r}")
    return path


def random_phoneme_model(seed: int = 0, **animator):
    """A tiny random SelfTalk that hears phonemes (``tiny_phonemes``), its vertex head and
    motion basis drawn so that its motion is not zero; ``animator`` overrides config fields."""
    import torch

    from selftalk.config import tiny_phonemes
    from selftalk.models.selftalk import SelfTalk

    torch.manual_seed(seed)
    config = tiny_phonemes().validate().model
    for key, value in animator.items():
        setattr(config.animator, key, value)
    model = SelfTalk(config, torch.arange(8)).eval()
    torch.nn.init.normal_(model.animator.vertex_head.weight, std=0.1)
    if model.animator.basis is not None:
        q, _ = torch.linalg.qr(torch.randn(64 * 3, model.animator.basis.rank))
        model.animator.basis.basis.copy_(q.T)
    return model
