"""The field's vertex metrics — LVE, MVE, FDD — per clip, and pooled over a test set.

Definitions (docs/metrics.md has them in full, with CodeTalker's ``main/cal_metric.py``):

- LVE: for each frame the *maximum over lip vertices* of the *squared* L2 distance between
  prediction and ground truth; the mean of that over every frame of every clip, pooled.
- MVE: for each frame the mean over all vertices of the (not squared) L2 distance; the mean
  of that over every frame of every clip, pooled.
- FDD: for each clip and each upper-face vertex, the standard deviation over time (ddof 0) of
  the *squared* norm of its displacement from the subject's template; the mean of that over
  the upper-face vertices; ground truth minus prediction (signed); the mean over clips.

Predictions longer than the ground truth are cut to its length (as the field does). A
prediction *shorter* than its ground truth is compared on the frames both have, and the clip
is flagged (:attr:`ClipErrors.short`), so a report can warn or a caller can refuse it.

Everything is computed in float64 from inputs of any float dtype, in chunks of frames, so one
clip of any size needs little extra memory; :class:`VertexMetrics` keeps only sums and one
number a frame across clips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: the optional per-frame lip terms (:func:`lip_distances`)
LIP_TERMS = ("mean", "centred_max")

# Frames processed at once when a computation touches every vertex (MVE): bounds the float64
# temporaries to about FRAME_CHUNK * V * 3 * 8 bytes (15 MB for 23,370 BIWI vertices).
FRAME_CHUNK = 64


def as_frames(motion: Any, n_vertices: int | None = None) -> np.ndarray:
    """View a motion as (T, V, 3): accepts (T, V, 3), (T, V*3) and a leading batch axis of 1.

    ``motion`` may be a numpy array or a torch tensor (moved to the CPU). No copy is made
    where numpy can avoid one. Raises ``ValueError`` on any other shape.
    """
    if hasattr(motion, "detach"):  # a torch tensor: no torch import needed here
        motion = motion.detach().cpu().numpy()
    array = np.asarray(motion)
    while array.ndim > 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 3 and array.shape[0] == 1 and array.shape[-1] != 3:
        array = array[0]
    if array.ndim == 2 and array.shape[1] % 3 == 0:
        array = array.reshape(array.shape[0], -1, 3)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected a motion of shape (T, V, 3) or (T, V*3), got {array.shape}")
    if n_vertices is not None and array.shape[1] != n_vertices:
        raise ValueError(f"expected {n_vertices} vertices a frame, got {array.shape[1]}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return array


def align_lengths(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut both (T, V, 3) motions to the frames they share: ``min(len(pred), len(gt))``.

    A longer prediction is cut to the ground truth, as CodeTalker and torchmetrics do; a
    shorter one cuts the ground truth to it (torchmetrics does the same; CodeTalker fails).
    """
    n = min(len(pred), len(gt))
    return pred[:n], gt[:n]


def lip_max_sq_error(pred: np.ndarray, gt: np.ndarray, lip: np.ndarray) -> np.ndarray:
    """Per-frame maximum over lip vertices of the squared L2 distance.

    Args:
        pred, gt: (T, V, 3) motions of equal length.
        lip: (L,) lip vertex indices.
    Returns:
        (T,) float64; LVE is its mean over frames, LRP compares its square root with ρ.
    """
    diff = gt[:, lip].astype(np.float64) - pred[:, lip].astype(np.float64)
    # square, sum over xyz, max over vertices: CodeTalker's order of operations, so float64
    # inputs give its values bit for bit
    return np.square(diff).sum(axis=2).max(axis=1)


def lip_distances(
    pred: np.ndarray, gt: np.ndarray, lip: np.ndarray, terms: Sequence[str] = LIP_TERMS
) -> dict[str, np.ndarray]:
    """Per-frame lip terms of the other published lip errors, (T,) float64 each.

    ``mean``: mean over lip vertices of the distance; ``centred_max``: max distance after
    moving each mesh's lip vertices to their own centroid (MeshTalk's lip error), which is
    the max of |d − mean(d)| over lip vertices for d = gt − pred. CodeTalker's term is
    :func:`lip_max_sq_error`. Only ``terms`` are computed. See :mod:`selftalk.metrics.definitions`.
    """
    if not terms:
        return {}
    diff = gt[:, lip].astype(np.float64) - pred[:, lip].astype(np.float64)
    out = {}
    if "mean" in terms:
        out["mean"] = np.sqrt(np.einsum("tvc,tvc->tv", diff, diff)).mean(axis=1)
    if "centred_max" in terms:
        diff -= diff.mean(axis=1, keepdims=True)
        out["centred_max"] = np.sqrt(np.einsum("tvc,tvc->tv", diff, diff).max(axis=1))
    return out


def mean_vertex_distance(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame mean over all vertices of the L2 distance: (T, V, 3) × 2 → (T,) float64."""
    out = np.empty(len(pred), np.float64)
    for start in range(0, len(pred), FRAME_CHUNK):
        stop = start + FRAME_CHUNK
        diff = pred[start:stop].astype(np.float64) - gt[start:stop]
        out[start:stop] = np.sqrt(np.einsum("tvc,tvc->tv", diff, diff)).mean(axis=1)
    return out


def upper_face_dynamics(vertices: np.ndarray, template: np.ndarray, upper: np.ndarray) -> float:
    """Mean over upper-face vertices of the std over time of the squared displacement norm.

    ``vertices`` (T, V, 3), ``template`` (V, 3), ``upper`` (U,) indices. The std is the
    population one (ddof 0, numpy's default, as in CodeTalker); one frame gives 0.
    """
    motion = vertices[:, upper].astype(np.float64) - template[upper].astype(np.float64)
    # (U, T) with time contiguous: numpy then sums over time pairwise, as it does on
    # CodeTalker's per-vertex stacked arrays, so float64 inputs give its values bit for bit
    squared_norm = np.ascontiguousarray(np.square(motion).sum(axis=2).T)
    return float(squared_norm.std(axis=1).mean())


def upper_face_dynamics_deviation(
    pred: np.ndarray, gt: np.ndarray, template: np.ndarray, upper: np.ndarray
) -> float:
    """FDD of one clip: dynamics of the ground truth minus dynamics of the prediction (signed).

    Positive: the prediction moves the upper face less than the ground truth does.
    """
    return upper_face_dynamics(gt, template, upper) - upper_face_dynamics(pred, template, upper)


@dataclass(frozen=True, kw_only=True)
class ClipErrors:
    """The errors of one clip.

    Attributes:
        name: clip name.
        pred_frames, gt_frames: lengths before alignment.
        lip_max_sq: (T,) per-frame maximum squared lip-vertex distance, T = min of the two.
        mve_sum: sum over the T frames of the per-frame mean vertex distance.
        fdd: this clip's FDD, or None without a template or upper-face vertices.
        lip_mean: (T,) per-frame mean lip-vertex distance (None when not computed).
        lip_centred_max: (T,) per-frame max lip-vertex distance after centring each mesh's
            lips (None when not computed).
        condition: the conditioning subject of the prediction (FaceFormer-style
            ``{clip}_condition_{subject}.npy``), or None.
    """

    name: str
    pred_frames: int
    gt_frames: int
    lip_max_sq: np.ndarray
    mve_sum: float
    fdd: float | None
    lip_mean: np.ndarray | None = None
    lip_centred_max: np.ndarray | None = None
    condition: str | None = None

    @property
    def frames(self) -> int:
        """Frames compared."""
        return len(self.lip_max_sq)

    @property
    def short(self) -> bool:
        """The prediction has fewer frames than the ground truth."""
        return self.pred_frames < self.gt_frames

    @property
    def lve(self) -> float:
        return float(self.lip_max_sq.mean())

    @property
    def mve(self) -> float:
        return self.mve_sum / self.frames


def clip_errors(
    pred: Any,
    gt: Any,
    template: Any | None = None,
    *,
    lip: np.ndarray,
    upper: np.ndarray | None = None,
    name: str = "",
    condition: str | None = None,
    lip_terms: Sequence[str] = (),
) -> ClipErrors:
    """Errors of one clip. ``pred``/``gt``: (T, V, 3) or (T, V*3); ``template``: (V, 3) or (V*3,).

    ``lip_terms``: which of :data:`LIP_TERMS` to compute as well (other definitions' lip errors).

    Raises ``ValueError`` on mismatched vertex counts or an empty motion.
    """
    gt = as_frames(gt)
    pred = as_frames(pred, gt.shape[1])
    if len(pred) == 0 or len(gt) == 0:
        raise ValueError(
            f"{name or 'clip'}: empty motion ({len(pred)} predicted, {len(gt)} true frames)"
        )
    pred_frames, gt_frames = len(pred), len(gt)
    pred, gt = align_lengths(pred, gt)
    lip = np.asarray(lip)
    fdd = None
    if template is not None and upper is not None and len(upper):
        template = np.asarray(template).reshape(-1, 3)
        if len(template) != gt.shape[1]:
            raise ValueError(
                f"{name or 'clip'}: template has {len(template)} vertices, motion {gt.shape[1]}"
            )
        fdd = upper_face_dynamics_deviation(pred, gt, template, np.asarray(upper))
    lips = lip_distances(pred, gt, lip, lip_terms)
    return ClipErrors(
        name=name,
        pred_frames=pred_frames,
        gt_frames=gt_frames,
        lip_max_sq=lip_max_sq_error(pred, gt, lip),
        mve_sum=float(mean_vertex_distance(pred, gt).sum()),
        fdd=fdd,
        lip_mean=lips.get("mean"),
        lip_centred_max=lips.get("centred_max"),
        condition=condition,
    )


@dataclass(frozen=True, kw_only=True)
class VertexSummary:
    """Pooled results over every clip seen.

    Attributes:
        lve: mean over all frames of the per-frame max squared lip distance.
        mve: mean over all frames of the per-frame mean vertex distance.
        fdd: mean over clips of the per-clip FDD (None when no clip had one).
        n_clips, n_frames: clips and compared frames.
        lip_max_distance: (n_frames,) per-frame max lip distance (not squared), clips in order:
            the input of LRP.
        clips: the per-clip errors, in order.
    """

    lve: float
    mve: float
    fdd: float | None
    n_clips: int
    n_frames: int
    lip_max_distance: np.ndarray
    clips: list[ClipErrors]


@dataclass(kw_only=True)
class VertexMetrics:
    """Streaming LVE / MVE / FDD over a test set: ``update`` once a clip, ``compute`` at the end.

    Only sums and one number a frame are kept, so a test set of any size fits in memory.

    Attributes:
        lip_indices: (L,) lip vertex indices (``regions/lve.txt``).
        upper_face_indices: (U,) upper-face vertex indices (``regions/fdd.txt``); None or
            empty for no FDD.
        lip_terms: optional per-frame lip terms to keep too (:data:`LIP_TERMS`).
    """

    lip_indices: np.ndarray
    upper_face_indices: np.ndarray | None = None
    lip_terms: tuple[str, ...] = ()
    _clips: list[ClipErrors] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.lip_indices = np.asarray(self.lip_indices, np.int64).reshape(-1)
        if self.lip_indices.size == 0:
            raise ValueError("LVE needs at least one lip vertex")
        if self.upper_face_indices is not None:
            self.upper_face_indices = np.asarray(self.upper_face_indices, np.int64).reshape(-1)

    def update(
        self,
        pred: Any,
        gt: Any,
        template: Any | None = None,
        *,
        name: str = "",
        condition: str | None = None,
    ) -> ClipErrors:
        """Add one clip: ``pred`` and ``gt`` (T, V, 3) or (T, V*3), ``template`` (V, 3)."""
        errors = clip_errors(
            pred,
            gt,
            template,
            lip=self.lip_indices,
            upper=self.upper_face_indices,
            name=name,
            condition=condition,
            lip_terms=self.lip_terms,
        )
        self._clips.append(errors)
        return errors

    def update_batch(
        self,
        pred: Any,
        gt: Any,
        templates: Any | None,
        *,
        lengths: Sequence[int],
        names: Sequence[str],
        pred_lengths: Sequence[int] | None = None,
    ) -> list[ClipErrors]:
        """Add a padded batch: ``pred``/``gt`` (B, T, V, 3), ``templates`` (B, V, 3).

        ``lengths`` (B,) valid ground-truth frames a row (``Batch.frame_lengths``);
        ``pred_lengths`` valid predicted frames (default: the same).
        """
        pred, gt = _numpy(pred), _numpy(gt)
        templates = None if templates is None else _numpy(templates)
        lengths = [int(n) for n in _numpy(lengths)]
        pred_lengths = lengths if pred_lengths is None else [int(n) for n in _numpy(pred_lengths)]
        return [
            self.update(
                pred[b, : pred_lengths[b]],
                gt[b, : lengths[b]],
                None if templates is None else templates[b],
                name=names[b],
            )
            for b in range(len(names))
        ]

    @property
    def n_clips(self) -> int:
        return len(self._clips)

    def compute(self) -> VertexSummary:
        """Pool the clips seen so far. Raises ``ValueError`` before the first update."""
        if not self._clips:
            raise ValueError("no clip was evaluated")
        n_frames = sum(c.frames for c in self._clips)
        lip_max_sq = np.concatenate([c.lip_max_sq for c in self._clips])
        fdds = [c.fdd for c in self._clips if c.fdd is not None]
        return VertexSummary(
            lve=float(lip_max_sq.sum() / n_frames),
            mve=float(sum(c.mve_sum for c in self._clips) / n_frames),
            # a plain sequential sum, as CodeTalker's sum(list) / len(list)
            fdd=sum(fdds) / len(fdds) if fdds else None,
            n_clips=len(self._clips),
            n_frames=n_frames,
            lip_max_distance=np.sqrt(lip_max_sq),
            clips=list(self._clips),
        )


def _numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)
