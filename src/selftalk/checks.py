"""Checks of numbers and arrays shared by the library and the command line.

Library functions check their arguments with these (so every caller gets the same errors),
and the command line parses options with the argparse types built on them
(:mod:`selftalk.cli.types`). Every check raises :class:`ConfigError` (a bad setting) or
:class:`InputError` (a bad file) whose message names the setting or file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from selftalk.errors import ConfigError, InputError

#: Frame rates accepted anywhere (mesh motion, video, curves).
MIN_FPS, MAX_FPS = 1.0, 1000.0
_BLOCK = 1 << 22  # elements checked at a time: bounded temporary memory on huge arrays

if TYPE_CHECKING:  # numpy is imported where arrays are checked, so option parsing stays light
    import numpy as np


def finite(value: float, name: str) -> float:
    """``value`` as a float; NaN or infinity is a :class:`ConfigError` naming ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    return number


def positive(value: float, name: str, *, maximum: float | None = None) -> float:
    """A finite number > 0 (and <= ``maximum``)."""
    number = finite(value, name)
    if not number > 0:
        raise ConfigError(f"{name} must be positive, got {value!r}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name} must be at most {maximum:g}, got {value!r}")
    return number


def non_negative(value: float, name: str) -> float:
    """A finite number >= 0."""
    number = finite(value, name)
    if number < 0:
        raise ConfigError(f"{name} must be >= 0, got {value!r}")
    return number


def frame_rate(value: float, name: str = "fps") -> float:
    """A frame rate in [:data:`MIN_FPS`, :data:`MAX_FPS`] frames a second."""
    number = finite(value, name)
    if not MIN_FPS <= number <= MAX_FPS:
        raise ConfigError(f"{name} must be from {MIN_FPS:g} to {MAX_FPS:g}, got {value!r}")
    return number


def all_finite(array: np.ndarray) -> bool:
    """Whether every value of a numeric array is finite, in bounded temporary memory."""
    import numpy as np

    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.inexact):
        return True
    flat = array.reshape(-1)
    return all(bool(np.isfinite(flat[i : i + _BLOCK]).all()) for i in range(0, flat.size, _BLOCK))


def finite_array(array: np.ndarray, where: str | Path, what: str = "the values") -> np.ndarray:
    """Return ``array``; NaN or infinity in it is an :class:`InputError` naming ``where``."""
    if not all_finite(array):
        raise InputError(where, f"{what} contain NaN or infinite numbers")
    return array


def same_vertex_count(found: int, expected: int, where: str | Path, what: str) -> None:
    """Raise :class:`InputError` naming ``where`` and both counts when ``found != expected``;
    ``what`` says whose count ``expected`` is (e.g. ``"the model animates"``)."""
    if found != expected:
        raise InputError(where, f"has {found} vertices a frame, but {what} {expected}")
