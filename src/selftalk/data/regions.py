"""The lip and upper-face vertex regions the field's metrics use, and where each comes from.

LVE and LRP take their lip vertices, FDD its upper-face vertices, from a *mask*. Three
masks are in use (docs/metric-definitions.md shows them):

- ``regions``: ``regions/lve.txt`` and ``regions/fdd.txt``, comma-separated indices — the
  files of CodeTalker's BIWI preprocessing (4996 lip, 7784 upper-face vertices) and of every
  dataset ``selftalk prepare`` writes;
- ``biwi-lip``: SelfTalk_release's ``BIWI_lip.pkl``, a pickled list of the same 4996 BIWI lip
  vertices (upper face from ``regions/fdd.txt`` when present);
- ``flame``: FLAME's ``FLAME_masks.pkl``, named FLAME regions: ``lips`` (254 vertices) for
  LVE, ``forehead`` ∪ ``eye_region`` (827 vertices) for FDD, as DiffSpeaker does.

The masks are licence-bound and never shipped: they are read from the dataset folder (or a
path given with ``--regions``), and a missing one is an error saying where users get it.
Pickles go through :func:`selftalk.data.safe_pickle.load_pickle`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.data.layout import (
    LIP_REGION_FILE as LIP_FILE,
)
from selftalk.data.layout import (
    LIP_REGION_NAME,
    REGIONS_DIR,
    UPPER_FACE_REGION_NAME,
)
from selftalk.data.layout import (
    UPPER_FACE_REGION_FILE as UPPER_FILE,
)
from selftalk.errors import InputError

BIWI_LIP_FILE = "BIWI_lip.pkl"
FLAME_MASKS_FILE = "FLAME_masks.pkl"
#: FLAME mask names: the lips, and the union used as the upper face.
FLAME_LIP_KEY = "lips"
FLAME_UPPER_KEYS = ("forehead", "eye_region")


@dataclass(frozen=True)
class KnownMask:
    """A region file of the field.

    Attributes:
        name: the ``--regions`` name.
        file: where it lies in a dataset folder.
        where: where users normally get it (used in the error when it is missing).
    """

    name: str
    file: str
    where: str


KNOWN_MASKS = {
    REGIONS_DIR: KnownMask(
        REGIONS_DIR,
        LIP_FILE,
        "CodeTalker's BIWI preprocessing (github.com/Doubiiu/CodeTalker, BIWI/regions/lve.txt "
        "and fdd.txt); datasets made by `selftalk prepare` have them",
    ),
    "biwi-lip": KnownMask(
        "biwi-lip",
        BIWI_LIP_FILE,
        "SelfTalk_release (github.com/psyai-net/SelfTalk_release, BIWI/BIWI_lip.pkl), the "
        "same vertices as CodeTalker's BIWI/regions/lve.txt",
    ),
    "flame": KnownMask(
        "flame",
        FLAME_MASKS_FILE,
        "FLAME (flame.is.tue.mpg.de, Downloads: FLAME vertex masks; SelfTalk_release keeps "
        "a copy as vocaset/FLAME_masks.pkl)",
    ),
}
#: The mask ``auto`` reports as missing, by dataset name.
DEFAULT_MASK = {"vocaset": "flame", "biwi": REGIONS_DIR}


@dataclass(frozen=True)
class Regions:
    """Lip vertices (L,) for LVE/LRP, upper-face vertices (U,) for FDD (None: no FDD)."""

    lip: np.ndarray
    upper: np.ndarray | None
    source: str


def resolve_regions(root: str | Path, spec: str = "auto", *, dataset: str = "") -> Regions:
    """The regions ``spec`` names for the dataset folder ``root``.

    ``spec``: ``auto`` (the first of ``regions``, ``biwi-lip``, ``flame`` present),
    a name of :data:`KNOWN_MASKS`, or a path: a folder with ``lve.txt`` (and ``fdd.txt``),
    a FLAME-style ``.pkl`` of named regions, or a lip index list (``.pkl``, ``.npy``, text).
    """
    root = Path(root)
    if spec == "auto":
        for mask in KNOWN_MASKS.values():
            if (root / mask.file).is_file():
                return resolve_regions(root, mask.name)
        mask = KNOWN_MASKS[DEFAULT_MASK.get(dataset.lower(), REGIONS_DIR)]
        others = ", ".join(m.file for m in KNOWN_MASKS.values() if m is not mask)
        raise InputError(
            root / mask.file,
            f"no lip region (nor {others}): it comes with {mask.where}; or pass --regions PATH",
        )
    if spec in KNOWN_MASKS:
        mask = KNOWN_MASKS[spec]
        path = root / mask.file
        if not path.is_file():
            raise InputError(path, f"no such file: it comes with {mask.where}")
        if spec == "flame":
            return _from_pickle(path)
        upper = _optional(root / UPPER_FILE)
        return Regions(
            _read(path), upper, mask.file + (f" + {UPPER_FILE}" if upper is not None else "")
        )
    return _from_path(Path(spec))


def _from_path(path: Path) -> Regions:
    if path.is_dir():
        lip = path / LIP_REGION_NAME
        if not lip.is_file():
            raise InputError(
                lip,
                f"no such file: a regions folder holds {LIP_REGION_NAME} "
                f"(and {UPPER_FACE_REGION_NAME})",
            )
        upper = _optional(path / UPPER_FACE_REGION_NAME)
        label = str(lip) + (f" + {UPPER_FACE_REGION_NAME}" if upper is not None else "")
        return Regions(_read(lip), upper, label)
    if not path.exists():
        raise InputError(
            path, f"no such regions file or folder (or name one of: auto, {', '.join(KNOWN_MASKS)})"
        )
    if path.suffix == ".pkl":
        return _from_pickle(path)
    return Regions(_read(path), None, str(path))


def _from_pickle(path: Path) -> Regions:
    """A FLAME-style dict of named regions, or a plain list of lip indices (BIWI_lip.pkl)."""
    from selftalk.data.safe_pickle import load_pickle

    obj = load_pickle(path)
    if not isinstance(obj, dict):
        return Regions(_as_indices(obj, path), None, path.name)
    if FLAME_LIP_KEY not in obj:
        raise InputError(
            path, f"has no {FLAME_LIP_KEY!r} region (it has: {', '.join(map(str, obj))})"
        )
    upper = None
    if all(key in obj for key in FLAME_UPPER_KEYS):
        upper = np.unique(np.concatenate([_as_indices(obj[k], path) for k in FLAME_UPPER_KEYS]))
    label = f"{path.name} {FLAME_LIP_KEY!r}" + (
        f" + {' ∪ '.join(repr(k) for k in FLAME_UPPER_KEYS)}" if upper is not None else ""
    )
    return Regions(_as_indices(obj[FLAME_LIP_KEY], path), upper, label)


def _as_indices(obj, path: Path) -> np.ndarray:
    values = np.asarray(obj).reshape(-1)
    if values.size == 0 or not np.issubdtype(values.dtype, np.integer):
        raise InputError(path, "expected a non-empty list of integer vertex indices")
    return values.astype(np.int64)


def _read(path: Path) -> np.ndarray:
    from selftalk.topology import read_indices

    if path.suffix == ".pkl":
        return _from_pickle(path).lip
    return read_indices(path)


def _optional(path: Path) -> np.ndarray | None:
    return _read(path) if path.is_file() else None
