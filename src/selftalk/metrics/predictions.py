"""Find the prediction files of a split's clips, as the field's repositories name them.

``selftalk test`` and SelfTalk_release's ``test.py`` write ``{clip}.npy``; FaceFormer's
``main.py`` and CodeTalker's ``test_pred.py`` write ``{clip}_condition_{subject}.npy``, one
file per conditioning (training) subject: the clip's own subject when it was seen in
training, every training subject when it was not (VOCA-Test, BIWI-Test-B).

``condition`` chooses among them:

- ``auto``: ``{clip}.npy``; else the clip's own subject's condition; else every condition
  (each scored, then averaged per clip, as FaceFormer-style unseen-subject tests do);
- ``all``: every file of the clip;
- a subject name: ``{clip}_condition_{name}.npy`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

CONDITION = "_condition_"

#: one prediction: its file and its conditioning subject (None for ``{clip}.npy``)
Prediction = tuple[Path, str | None]


def list_predictions(pred_dir: Path) -> dict[str, Path]:
    """{stem: path} of the ``.npy`` files in ``pred_dir`` (hidden files ignored)."""
    return {
        p.stem: p
        for p in sorted(pred_dir.glob("*.npy"))
        if not p.name.startswith(".") and p.is_file()
    }


def find_predictions(
    pred_dir: Path,
    clips: Iterable[str],
    subject_of: Callable[[str], str],
    condition: str = "auto",
) -> dict[str, list[Prediction]]:
    """{clip: [(file, condition), …]} for the clips that have a prediction (others left out)."""
    files = list_predictions(pred_dir)
    by_clip: dict[str, list[Prediction]] = {}
    for stem, path in files.items():
        clip, sep, cond = stem.rpartition(CONDITION)
        if sep:
            by_clip.setdefault(clip, []).append((path, cond))
    found: dict[str, list[Prediction]] = {}
    for clip in clips:
        plain = [(files[clip], None)] if clip in files else []
        conditioned = by_clip.get(clip, [])
        if condition == "auto":
            own = [p for p in conditioned if p[1] == subject_of(clip)]
            chosen = plain or own or conditioned
        elif condition == "all":
            chosen = plain + conditioned
        else:
            chosen = [p for p in conditioned if p[1] == condition]
        if chosen:
            found[clip] = chosen
    return found
