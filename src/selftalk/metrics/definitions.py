"""The published definitions of the lip error and FDD, and how each pools a test set.

Papers print "LVE" and "FDD" for numbers computed in different ways (docs/metric-definitions.md
gives the formulas and the repository files they come from). A :class:`Definition` names
one way: the per-frame lip term, whether frames are pooled over the test set or averaged
per sequence first, the FDD variant, the unit scale and a length cap. Every definition is
computed from the same per-clip errors (:class:`~selftalk.metrics.vertex.ClipErrors`), as
per-clip numerators and denominators (:class:`Units`): the metric is Σ num / Σ den, which
is also what a bootstrap resamples (:mod:`selftalk.metrics.bootstrap`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from selftalk.errors import ConfigError
from selftalk.metrics.vertex import ClipErrors

#: per-frame lip terms: name → (function of a clip's errors, power of length it carries)
LIP_TERMS: dict[str, tuple[Callable[[ClipErrors], np.ndarray], int]] = {
    "max-sq": (lambda c: c.lip_max_sq, 2),
    "max": (lambda c: np.sqrt(c.lip_max_sq), 1),
    "mean": (lambda c: c.lip_mean, 1),
    "centred-max": (lambda c: c.lip_centred_max, 1),
}


@dataclass(frozen=True, kw_only=True)
class Definition:
    """One published way of computing the lip error and FDD.

    Attributes:
        name: the ``--definition`` name.
        label: what its papers call the lip error (LVE, LVD, lip error).
        lip: the per-frame lip term, a key of :data:`LIP_TERMS`.
        pooling: ``frames`` (mean over every frame of the test set) or ``sequences`` (mean
            over clips of each clip's mean over its frames).
        fdd: ``signed`` (CodeTalker: gt − pred), ``abs`` (|gt − pred| a clip) or None.
        length_scale: factor on lengths by dataset name (UniTalker scales BIWI by 0.2,
            Imitator reports VOCASET in mm); squared terms take its square.
        max_seconds: clips are cut to this many seconds (UniTalker: 20), or None.
        sources: repository files (and threads) the definition is taken from.
    """

    name: str
    label: str
    lip: str
    pooling: str
    fdd: str | None
    length_scale: Mapping[str, float] = field(default_factory=dict)
    max_seconds: float | None = None
    sources: tuple[str, ...] = ()

    def scale(self, dataset: str) -> float:
        return float(self.length_scale.get(dataset.lower(), 1.0))


@dataclass(frozen=True)
class Units:
    """Per-clip parts of a definition's metrics, (S,) each: metric = Σ num / Σ den.

    A clip with several predictions (one a conditioning subject) is one unit. MVE is pooled
    over frames in every definition.
    """

    names: list[str]
    lve_num: np.ndarray
    lve_den: np.ndarray
    fdd_num: np.ndarray | None
    fdd_den: np.ndarray | None
    mve_num: np.ndarray
    mve_den: np.ndarray

    def parts(self, which: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(num, den) of ``lve``, ``fdd`` or ``mve``; None for a metric not defined."""
        num, den = getattr(self, f"{which}_num"), getattr(self, f"{which}_den")
        return None if num is None else (num, den)

    def value(self, which: str) -> float | None:
        parts = self.parts(which)
        return None if parts is None else float(parts[0].sum() / parts[1].sum())

    @property
    def lve(self) -> float:
        return self.value("lve")

    @property
    def fdd(self) -> float | None:
        return self.value("fdd")

    @property
    def mve(self) -> float:
        return self.value("mve")

    def per_clip(self, which: str) -> np.ndarray:
        """Each clip's own value of ``lve``, ``fdd`` or ``mve`` (S,)."""
        num, den = self.parts(which)
        return num / den

    def take(self, names: list[str]) -> Units:
        """The units of ``names``, in that order."""
        index = [self.names.index(n) for n in names]

        def pick(a):
            return None if a is None else a[index]

        return Units(
            list(names),
            *(
                pick(getattr(self, f"{m}_{p}"))
                for m in ("lve", "fdd", "mve")
                for p in ("num", "den")
            ),
        )


#: the optional per-clip term (:data:`selftalk.metrics.vertex.LIP_TERMS`) a lip term needs
NEEDS = {"mean": "mean", "centred-max": "centred_max"}


def lip_terms_needed(names: Sequence[str]) -> tuple[str, ...]:
    """The optional per-frame lip terms the definitions ``names`` need computed."""
    return tuple(sorted({NEEDS[d] for d in (get_definition(n).lip for n in names) if d in NEEDS}))


def units(
    definition: Definition, clips: Sequence[ClipErrors], *, dataset: str, fps: float
) -> Units:
    """The per-clip parts of ``definition`` over ``clips`` (grouped by clip name)."""
    term, power = LIP_TERMS[definition.lip]
    scale = definition.scale(dataset)
    cap = None if definition.max_seconds is None else max(1, round(definition.max_seconds * fps))
    groups: dict[str, list[ClipErrors]] = {}
    for clip in clips:
        groups.setdefault(clip.name, []).append(clip)
    lve_num, lve_den, fdd_num, fdd_den, mve_num, mve_den = [], [], [], [], [], []
    for members in groups.values():
        mve_num.append(sum(c.mve_sum for c in members) * scale)
        mve_den.append(sum(c.frames for c in members))
        raw = [term(c) for c in members]
        if any(v is None for v in raw):
            raise ValueError(
                f"{definition.name}: the {definition.lip} lip term was not computed "
                "(VertexMetrics(lip_terms=lip_terms_needed(...)))"
            )
        values = [v[:cap] * scale**power for v in raw]
        if definition.pooling == "frames":
            lve_num.append(sum(float(v.sum()) for v in values))
            lve_den.append(sum(len(v) for v in values))
        else:
            lve_num.append(sum(float(v.mean()) for v in values))
            lve_den.append(len(values))
        fdds = [c.fdd for c in members if c.fdd is not None]
        fdd_num.append(sum(abs(f) if definition.fdd == "abs" else f for f in fdds) * scale**2)
        fdd_den.append(len(fdds))
    has_fdd = definition.fdd is not None and all(fdd_den)
    return Units(
        names=list(groups),
        lve_num=np.asarray(lve_num, np.float64),
        lve_den=np.asarray(lve_den, np.float64),
        fdd_num=np.asarray(fdd_num, np.float64) if has_fdd else None,
        fdd_den=np.asarray(fdd_den, np.float64) if has_fdd else None,
        mve_num=np.asarray(mve_num, np.float64),
        mve_den=np.asarray(mve_den, np.float64),
    )


_CODETALKER = ("Doubiiu/CodeTalker main/cal_metric.py",)
_UNITALKER = (
    "X-niper/UniTalker loss/loss.py (mouth_metric)",
    "X-niper/UniTalker main/train_eval_loop.py (validate_epoch, one value a clip)",
    "X-niper/UniTalker dataset/dataset_config.py (BIWI scale 0.2)",
    "X-niper/UniTalker dataset/data_item.py (clips cut at 20 s)",
)

DEFINITIONS: dict[str, Definition] = {
    d.name: d
    for d in (
        Definition(
            name="codetalker",
            label="LVE",
            lip="max-sq",
            pooling="frames",
            fdd="signed",
            sources=_CODETALKER
            + (
                "psyai-net/SelfTalk_release#4 (SelfTalk's tables use it)",
                "uuembodiedsocialai/FaceDiffuser evaluation/compute_objective_metrics.py",
            ),
        ),
        Definition(
            name="diffspeaker",
            label="LVE",
            lip="max-sq",
            pooling="sequences",
            fdd="signed",
            sources=(
                "theEricMa/DiffSpeaker alm/models/losses/utils.py",
                "theEricMa/DiffSpeaker alm/models/modeltype/diffusion_bias.py (one value a clip)",
                "theEricMa/DiffSpeaker alm/models/modeltype/base.py (plain mean over clips)",
            ),
        ),
        Definition(
            name="unitalker",
            label="LVE",
            lip="max-sq",
            pooling="sequences",
            fdd="signed",
            length_scale={"biwi": 0.2},
            max_seconds=20.0,
            sources=_UNITALKER,
        ),
        Definition(
            name="unitalker-lvd",
            label="LVD",
            lip="max",
            pooling="sequences",
            fdd=None,
            length_scale={"biwi": 0.2},
            max_seconds=20.0,
            sources=_UNITALKER,
        ),
        Definition(
            name="facediffuser-abs",
            label="LVE",
            lip="max-sq",
            pooling="frames",
            fdd="abs",
            sources=("uuembodiedsocialai/FaceDiffuser evaluation/compute_objective_metrics.py",),
        ),
        Definition(
            name="meshtalk",
            label="lip error",
            lip="centred-max",
            pooling="frames",
            fdd=None,
            sources=("facebookresearch/meshtalk#32 (the authors' lip error)",),
        ),
        Definition(
            name="imitator",
            label="lip max L2",
            lip="max",
            pooling="sequences",
            fdd=None,
            length_scale={"vocaset": 1000.0},
            sources=(
                "bala1144/Imitator imitator/utils/losses.py (lip_max_l2)",
                "bala1144/Imitator imitator/test/test_model_voca.py",
            ),
        ),
        Definition(
            name="lip-mean",
            label="mean lip error",
            lip="mean",
            pooling="frames",
            fdd=None,
            sources=("the mean instead of the max over lip vertices, seen in later code",),
        ),
    )
}
#: Names papers use for a definition that is one of the above.
ALIASES = {"faceformer": "codetalker", "selftalk": "codetalker", "facediffuser": "codetalker"}
DEFAULT = "codetalker"


def get_definition(name: str) -> Definition:
    """The definition called ``name`` (or one of its :data:`ALIASES`)."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in DEFINITIONS:
        known = ", ".join([*DEFINITIONS, *ALIASES])
        raise ConfigError(f"unknown metric definition {name!r} (known: {known}, all)")
    return DEFINITIONS[key]


def definition_names(spec: str) -> list[str]:
    """``all`` → every definition; a comma-separated list → those (checked)."""
    if spec.lower() == "all":
        return list(DEFINITIONS)
    return [get_definition(part.strip()).name for part in spec.split(",") if part.strip()]
