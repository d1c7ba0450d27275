"""Check a weights file against the model it should fill, before loading anything into it.

The check is generic: the model is built on PyTorch's ``meta`` device (names and shapes, no
memory), so it holds for every model type, and a config that claims a huge network costs
nothing until its weights file is known to match. Names, shapes and values are checked; the
first problems found are reported as one :class:`InputError` naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import torch

from selftalk.errors import InputError


def meta_state(build: Callable[[], torch.nn.Module]) -> dict[str, tuple[int, ...]]:
    """{name: shape} of the state dict of the module ``build()`` makes, built without memory."""
    with torch.device("meta"):
        module = build()
    return {name: tuple(t.shape) for name, t in module.state_dict().items()}


def file_shapes(path: str | Path) -> dict[str, tuple[int, ...]]:
    """{name: shape} of a ``.safetensors`` file, read from its header only."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}
    except Exception as error:  # noqa: BLE001 - truncated, not safetensors, bad header: all 'bad file'
        raise InputError(path, f"not a readable safetensors file ({_first_line(error)})") from None


def check_shapes(
    expected: Mapping[str, tuple[int, ...]],
    found: Mapping[str, tuple[int, ...]],
    source: str | Path,
    *,
    rename: Callable[[dict], dict] | None = None,
) -> None:
    """Raise :class:`InputError` naming ``source`` when names or shapes differ."""
    found = rename(dict(found)) if rename is not None else dict(found)
    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    wrong = [
        f"{k} is {found[k]}, expected {expected[k]}"
        for k in expected
        if k in found and tuple(found[k]) != tuple(expected[k])
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} tensor(s) missing ({_sample(missing)})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected ({_sample(unexpected)})")
    if wrong:
        problems.append(f"{len(wrong)} of the wrong shape ({_sample(wrong)})")
    if problems:
        raise InputError(
            source, "the weights do not fit the model's config: " + "; ".join(problems)
        )


def check_finite(state: Mapping[str, torch.Tensor], source: str | Path) -> None:
    """Raise :class:`InputError` naming ``source`` and the first tensor holding NaN or inf."""
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise InputError(source, f"the weights hold NaN or infinite values ({name})")


def _sample(items: list[str], n: int = 3) -> str:
    shown = ", ".join(items[:n])
    return shown + (f", … {len(items) - n} more" if len(items) > n else "")


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]
