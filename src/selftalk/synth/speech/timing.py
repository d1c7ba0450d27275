"""Turn an engine's raw phone segments into a clean, gap-free ``list[TimedPhone]``."""

from __future__ import annotations

from collections.abc import Iterable

from selftalk.synth.phones import SILENCE, TimedPhone

# A gap shorter than this between two segments is closed by stretching the earlier one.
_MIN_SILENCE = 0.01


def tidy_phones(segments: Iterable[tuple[str, float, float]], duration: float) -> list[TimedPhone]:
    """Clip, sort and fill ``(phone, start, end)`` segments so they tile ``0..duration``.

    The result starts at 0, ends at ``duration``, has no gaps or overlaps, merges runs of
    ``SIL`` into one and drops zero-length phones. Gaps of 10 ms or more become ``SIL``;
    shorter ones are absorbed by the phone before them.
    """
    raw = sorted(
        ((p, max(0.0, s), min(duration, e)) for p, s, e in segments),
        key=lambda seg: seg[1],
    )
    out: list[list] = []
    t = 0.0
    for phone, start, end in raw:
        start = max(start, t)
        if end <= start:
            continue
        if start - t >= _MIN_SILENCE:
            _append(out, SILENCE, t, start)
        elif out:
            out[-1][2] = start
        else:
            start = 0.0
        _append(out, phone, start, end)
        t = end
    if duration - t >= _MIN_SILENCE or not out:
        _append(out, SILENCE, t, duration)
    else:
        out[-1][2] = duration
    return [TimedPhone(p, round(s, 6), round(e, 6)) for p, s, e in out if e > s]


def _append(out: list[list], phone: str, start: float, end: float) -> None:
    if out and phone == SILENCE and out[-1][0] == SILENCE:
        out[-1][2] = end
    else:
        out.append([phone, start, end])


def check_phones(phones: list[TimedPhone], duration: float, tolerance: float = 1e-4) -> None:
    """Raise ValueError unless ``phones`` tile ``0..duration`` in order without gaps."""
    if not phones:
        raise ValueError("no phones")
    if abs(phones[0].start) > tolerance or abs(phones[-1].end - duration) > tolerance:
        raise ValueError(f"phones span {phones[0].start}..{phones[-1].end}, audio 0..{duration}")
    for a, b in zip(phones, phones[1:]):
        if abs(a.end - b.start) > tolerance:
            raise ValueError(f"gap or overlap between {a} and {b}")
