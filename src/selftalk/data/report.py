"""What a preparation run did: clips written and skipped, and the warnings it met."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@dataclass(kw_only=True)
class PrepareReport:
    """Summary of ``selftalk prepare``.

    Attributes:
        out_dir: the dataset written.
        written: clips of which at least one file was written in this run.
        skipped: clips whose files were all there already.
        warnings: problems that did not stop the run (missing audio, missing regions…).
        failed: clips that could not be prepared, with the reason.
    """

    out_dir: Path
    written: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def count(self, wrote: bool) -> None:
        if wrote:
            self.written += 1
        else:
            self.skipped += 1

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def fail(self, message: str) -> None:
        self.failed.append(message)


def progress(items: Iterable[T], *, total: int, desc: str, enabled: bool) -> Iterator[T]:
    """A tqdm progress bar on stderr over ``items`` (plain iteration when disabled)."""
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, unit="clip", dynamic_ncols=True)
