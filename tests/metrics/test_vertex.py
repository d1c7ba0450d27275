"""LVE, MVE and FDD against naive loops, plus the zero, one-frame and length-mismatch cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from metrics_fixtures import naive_fdd, naive_lve, naive_mve

from selftalk.metrics import VertexMetrics, clip_errors, upper_face_dynamics_deviation
from selftalk.metrics.vertex import FRAME_CHUNK, as_frames

V = 10
LIP = np.array([0, 2, 3, 7])
UPPER = np.array([1, 4, 5, 9])


def _clips(rng, lengths, pred_offsets=None):
    """(pred, gt, template) triples; pred length = gt length + offset."""
    out = []
    for i, n in enumerate(lengths):
        template = rng.normal(size=(V, 3))
        gt = template + 0.05 * rng.normal(size=(n, V, 3))
        m = n + (pred_offsets[i] if pred_offsets else 0)
        pred = template + 0.05 * rng.normal(size=(m, V, 3))
        out.append((pred.astype(np.float32), gt.astype(np.float32), template.astype(np.float32)))
    return out


def _summary(triples):
    metric = VertexMetrics(lip_indices=LIP, upper_face_indices=UPPER)
    for k, (pred, gt, template) in enumerate(triples):
        metric.update(pred, gt, template, name=f"c{k}")
    return metric.compute()


def test_pooled_metrics_match_naive_loops():
    triples = _clips(np.random.default_rng(1), [6, 1, 11, 4])
    summary = _summary(triples)
    pairs = [(p, g) for p, g, _ in triples]
    assert summary.n_frames == 22 and summary.n_clips == 4
    assert summary.lve == pytest.approx(naive_lve(pairs, LIP), rel=1e-12)
    assert summary.mve == pytest.approx(naive_mve(pairs), rel=1e-12)
    assert summary.fdd == pytest.approx(naive_fdd(triples, UPPER), rel=1e-10, abs=1e-15)


def test_lve_pools_frames_not_clip_means():
    # two clips with very different lengths: pooled mean != mean of clip means
    triples = _clips(np.random.default_rng(2), [2, 30])
    summary = _summary(triples)
    clip_mean = np.mean([c.lve for c in summary.clips])
    pooled = (summary.clips[0].lve * 2 + summary.clips[1].lve * 30) / 32
    assert summary.lve == pytest.approx(pooled, rel=1e-12)
    assert summary.lve != pytest.approx(clip_mean, rel=1e-6)


def test_zero_error():
    triples = _clips(np.random.default_rng(3), [5, 3])
    summary = _summary([(g.copy(), g, t) for _, g, t in triples])
    assert summary.lve == 0 and summary.mve == 0 and summary.fdd == 0
    assert np.all(summary.lip_max_distance == 0)


def test_one_frame_clip():
    ((pred, gt, template),) = _clips(np.random.default_rng(4), [1])
    errors = clip_errors(pred, gt, template, lip=LIP, upper=UPPER)
    assert errors.frames == 1
    assert errors.lve == pytest.approx(naive_lve([(pred, gt)], LIP), rel=1e-12)
    assert errors.fdd == 0.0  # one frame: no motion over time, std 0 for both


def test_longer_prediction_is_cut_to_ground_truth():
    rng = np.random.default_rng(5)
    ((pred, gt, template),) = _clips(rng, [6], pred_offsets=[4])
    errors = clip_errors(pred, gt, template, lip=LIP, upper=UPPER)
    assert (errors.pred_frames, errors.gt_frames, errors.frames) == (10, 6, 6)
    assert not errors.short
    cut = clip_errors(pred[:6], gt, template, lip=LIP, upper=UPPER)
    assert errors.lve == cut.lve and errors.fdd == cut.fdd and errors.mve == cut.mve
    # the extra frames must not matter, whatever they hold
    wild = pred.copy()
    wild[6:] = 1e6
    assert clip_errors(wild, gt, template, lip=LIP, upper=UPPER).lve == errors.lve


def test_shorter_prediction_is_compared_on_shared_frames_and_flagged():
    ((pred, gt, template),) = _clips(np.random.default_rng(6), [8], pred_offsets=[-3])
    errors = clip_errors(pred, gt, template, lip=LIP, upper=UPPER)
    assert errors.short and errors.frames == 5
    assert errors.lve == pytest.approx(naive_lve([(pred, gt)], LIP), rel=1e-12)
    assert errors.fdd == pytest.approx(naive_fdd([(pred, gt, template)], UPPER), rel=1e-10)


def test_fdd_is_signed_and_uses_squared_norm():
    rng = np.random.default_rng(7)
    template = np.zeros((V, 3))
    gt = template + rng.normal(size=(20, V, 3))
    still = np.repeat(template[None], 20, axis=0)
    # a motionless prediction: FDD = the ground truth's own dynamics, positive
    value = upper_face_dynamics_deviation(still, gt, template, UPPER)
    sq = (gt[:, UPPER] ** 2).sum(-1)  # squared norm, not norm
    assert value == pytest.approx(sq.std(axis=0, ddof=0).mean(), rel=1e-12)
    assert upper_face_dynamics_deviation(gt, still, template, UPPER) == pytest.approx(-value)
    assert value != pytest.approx(np.sqrt(sq).std(axis=0).mean(), rel=1e-3)


def test_flat_and_torch_inputs_and_chunking():
    n = FRAME_CHUNK * 2 + 3  # several chunks in MVE
    ((pred, gt, template),) = _clips(np.random.default_rng(8), [n])
    reference = clip_errors(pred, gt, template, lip=LIP, upper=UPPER)
    flat = clip_errors(
        pred.reshape(n, -1),
        torch.from_numpy(gt.reshape(n, -1)),
        template.reshape(-1),
        lip=LIP,
        upper=UPPER,
    )
    assert flat.lve == reference.lve and flat.mve == reference.mve and flat.fdd == reference.fdd
    assert reference.mve == pytest.approx(naive_mve([(pred, gt)]), rel=1e-12)


def test_update_batch_equals_clip_by_clip():
    triples = _clips(np.random.default_rng(9), [4, 7, 2])
    T = 7
    pred = torch.zeros(3, T, V, 3)
    gt = torch.zeros(3, T, V, 3)
    for b, (p, g, _) in enumerate(triples):
        pred[b, : len(p)] = torch.from_numpy(p)
        gt[b, : len(g)] = torch.from_numpy(g)
    templates = torch.from_numpy(np.stack([t for _, _, t in triples]))
    batched = VertexMetrics(lip_indices=LIP, upper_face_indices=UPPER)
    batched.update_batch(
        pred, gt, templates, lengths=torch.tensor([4, 7, 2]), names=["a", "b", "c"]
    )
    one_by_one = _summary(triples)
    got = batched.compute()
    assert got.lve == pytest.approx(one_by_one.lve, rel=1e-12)
    assert got.fdd == pytest.approx(one_by_one.fdd, rel=1e-12)
    assert got.n_frames == 13


def test_no_template_means_no_fdd():
    ((pred, gt, _),) = _clips(np.random.default_rng(10), [3])
    metric = VertexMetrics(lip_indices=LIP)
    metric.update(pred, gt)
    assert metric.compute().fdd is None


def test_errors():
    with pytest.raises(ValueError, match="no clip"):
        VertexMetrics(lip_indices=LIP).compute()
    with pytest.raises(ValueError, match="lip vertex"):
        VertexMetrics(lip_indices=[])
    with pytest.raises(ValueError, match="vertices"):
        clip_errors(np.zeros((3, V, 3)), np.zeros((3, V + 1, 3)), lip=LIP)
    with pytest.raises(ValueError, match="empty"):
        clip_errors(np.zeros((0, V, 3)), np.zeros((3, V, 3)), lip=LIP)
    with pytest.raises(ValueError, match="shape"):
        as_frames(np.zeros((3, 7)))
    assert as_frames(np.zeros((1, 4, V * 3))).shape == (4, V, 3)


def _codetalker_order(triples, lip, upper):
    """LVE and FDD in the order of operations of CodeTalker's main/cal_metric.py, all in float64:
    frames of every clip stacked, square, sum over xyz, max over lip vertices, mean; FDD with
    numpy's std (ddof 0) over time, mean over upper vertices, gt - pred, Python sum / count."""
    gts, preds, fdds = [], [], []
    for pred, gt, template in triples:
        pred = pred[: len(gt)]
        gts.append(gt)
        preds.append(pred)

        def dynamics(x, template=template):  # (U, T, 3): time contiguous, as in CodeTalker
            per_vertex = np.stack([np.square(x[:, v] - template[v]) for v in upper])
            return np.mean(np.std(np.sum(per_vertex, axis=2), axis=1))

        fdds.append(dynamics(gt) - dynamics(pred))
    gt_all, pred_all = np.concatenate(gts), np.concatenate(preds)
    lip_sq = np.stack([np.square(gt_all[:, v] - pred_all[:, v]) for v in lip], axis=1)
    return np.mean(np.max(np.sum(lip_sq, axis=2), axis=1)), sum(fdds) / len(fdds)


@pytest.mark.parametrize("seed", range(5))
def test_bit_for_bit_with_codetalker_order_in_float64(seed):
    rng = np.random.default_rng(seed)
    n_vertices = 200
    lip = rng.choice(n_vertices, 30, replace=False)
    upper = rng.choice(n_vertices, 50, replace=False)
    triples = []
    for n in rng.integers(1, 120, size=4):
        template = rng.normal(size=(n_vertices, 3))
        gt = template + 0.01 * rng.normal(size=(n, n_vertices, 3))
        pred = template + 0.01 * rng.normal(size=(n + int(rng.integers(0, 3)), n_vertices, 3))
        triples.append((pred, gt, template))
    metric = VertexMetrics(lip_indices=lip, upper_face_indices=upper)
    for pred, gt, template in triples:
        metric.update(pred, gt, template)
    summary = metric.compute()
    lve, fdd = _codetalker_order(triples, lip, upper)
    assert summary.lve == lve  # exactly, not approximately
    assert summary.fdd == fdd
