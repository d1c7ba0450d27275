"""Streamed frames out: JSON lines (one per frame, flushed as written) or Live Link Face CSV.

A file is written to a temporary path beside it and renamed when the stream ends, so it is
complete or absent; ``-`` writes JSON lines to standard output.
"""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from selftalk.arkit import LIVE_LINK as ARKIT_NAMES
from selftalk.arkit import LIVE_LINK_HEADER, live_link_row
from selftalk.errors import InputError
from selftalk.streaming.streamer import Frames

SUFFIXES = (".jsonl", ".csv")


def frame_records(frames: Frames) -> list[dict]:
    """One ``{"frame": k, "time": s, "weights": {ARKit name: w}}`` a frame."""
    if frames.weights is None:
        raise ValueError("these frames have no ARKit weights")
    return [
        {
            "frame": int(k),
            "time": round(float(t), 6),
            "weights": {name: round(float(w), 4) for name, w in zip(ARKIT_NAMES, row)},
        }
        for k, t, row in zip(frames.indices, frames.times, frames.weights)
    ]


def check_output(
    path: str, *, source: str | None = None, inputs: Iterable[str | Path | None] = ()
) -> None:
    """Refuse an output type we cannot write, or an output that would replace the input
    ``source`` or one of ``inputs`` (through links too; see :mod:`selftalk.outputs`)."""
    if path == "-":
        return
    from selftalk.outputs import check_output_file

    out = Path(path)
    if out.suffix.lower() not in SUFFIXES:
        raise InputError(out, f"unknown output type {out.suffix!r} (use -, .jsonl or .csv)")
    sources = [] if source in (None, "-", "mic") else [source]
    check_output_file(out, inputs=[*sources, *inputs])


class FrameWriter:
    """Writes frames to ``path`` (``-``, ``.jsonl`` or ``.csv``); use as a context manager.

    The file appears only when the block ends without an exception (or after ``commit``).
    """

    def __init__(self, path: str, *, fps: float, stdout: TextIO | None = None):
        check_output(path)
        self.path = path
        self.fps = fps
        self._stack = contextlib.ExitStack()
        self._stdout = stdout or sys.stdout
        self._csv = None
        self.frames = 0

    def __enter__(self) -> FrameWriter:
        if self.path == "-":
            self._out = self._stdout
        else:
            from selftalk.io import atomic_path

            tmp = self._stack.enter_context(atomic_path(self.path))
            self._out = self._stack.enter_context(open(tmp, "w", encoding="utf-8", newline=""))
            if Path(self.path).suffix.lower() == ".csv":
                self._csv = csv.writer(self._out, lineterminator="\n")
                self._csv.writerow(LIVE_LINK_HEADER)
        return self

    def write(self, frames: Frames) -> None:
        if not len(frames):
            return
        if self._csv is not None:
            for k, row in zip(frames.indices, frames.weights):
                self._csv.writerow(live_link_row(int(k), row, self.fps))
        else:
            for record in frame_records(frames):
                self._out.write(json.dumps(record, separators=(",", ":")) + "\n")
                if self.path == "-":
                    self._out.flush()
        self.frames += len(frames)

    def __exit__(self, kind, error, trace) -> None:
        if self.path != "-":
            self._out.flush()
        self._stack.__exit__(kind, error, trace)
