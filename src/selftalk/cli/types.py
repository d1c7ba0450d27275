"""argparse types for numeric options: a bad value is a usage error naming the option
(``selftalk render: error: argument --fps: expected a frame rate in (0, 1000], got 'nan'``),
before any work starts. The library checks the same ranges (:mod:`selftalk.checks`) for
callers that do not come through the command line."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from selftalk.checks import MAX_FPS, MIN_FPS


def _number(
    description: str,
    *,
    integer: bool = False,
    low: float | None = None,
    low_inclusive: bool = True,
    high: float | None = None,
    even: bool = False,
) -> Callable[[str], float]:
    def parse(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {description}, got {text!r}") from None
        ok = math.isfinite(value)
        if ok and low is not None:
            ok = value >= low if low_inclusive else value > low
        if ok and high is not None:
            ok = value <= high
        if ok and even:
            ok = value % 2 == 0
        if not ok:
            raise argparse.ArgumentTypeError(f"expected {description}, got {text!r}")
        return value

    parse.__name__ = description  # argparse names the type in some messages
    return parse


finite_float = _number("a finite number")
positive_float = _number("a positive number", low=0, low_inclusive=False)
non_negative_float = _number("a number >= 0", low=0)
fps = _number(f"a frame rate from {MIN_FPS:g} to {MAX_FPS:g}", low=MIN_FPS, high=MAX_FPS)
fraction = _number("a number in (0, 1]", low=0, low_inclusive=False, high=1)
percent = _number("a percentage in (0, 100]", low=0, low_inclusive=False, high=100)
positive_int = _number("a whole number >= 1", integer=True, low=1)
non_negative_int = _number("a whole number >= 0", integer=True, low=0)

video_side = _number(
    "an even number of pixels from 16 to 8192", integer=True, low=16, high=8192, even=True
)


def int_range(low: int, high: int) -> Callable[[str], int]:
    """A whole number in [low, high]."""
    return _number(f"a whole number from {low} to {high}", integer=True, low=low, high=high)
