"""Every published metric definition against an independent loop re-implementation (naive.py)."""

from __future__ import annotations

import numpy as np
import pytest
from naive import definition as naive_definition

from selftalk.errors import ConfigError
from selftalk.metrics import VertexMetrics
from selftalk.metrics.definitions import (
    DEFINITIONS,
    definition_names,
    get_definition,
    lip_terms_needed,
    units,
)
from selftalk.metrics.vertex import LIP_TERMS

V = 12
LIP = np.array([1, 4, 5, 8, 10])
UPPER = np.array([0, 2, 3, 11])


def _clips(seed, lengths, offsets=None):
    rng = np.random.default_rng(seed)
    out = []
    for i, n in enumerate(lengths):
        template = rng.normal(size=(V, 3))
        gt = template + 0.05 * rng.normal(size=(n, V, 3))
        m = n + (offsets[i] if offsets else 0)
        pred = template + 0.05 * rng.normal(size=(m, V, 3)) + 0.01 * i
        out.append((pred, gt, template))
    return out


def _summary(clips):
    metric = VertexMetrics(lip_indices=LIP, upper_face_indices=UPPER, lip_terms=LIP_TERMS)
    for k, (pred, gt, template) in enumerate(clips):
        metric.update(pred, gt, template, name=f"c{k}")
    return metric.compute()


@pytest.mark.parametrize("name", list(DEFINITIONS))
@pytest.mark.parametrize("dataset", ["biwi", "vocaset", "mine"])
def test_each_definition_matches_its_naive_reimplementation(name, dataset):
    # lengths differ a lot, so pooled and per-sequence means differ; one prediction is longer
    clips = _clips(7, [3, 17, 1, 9], offsets=[0, 2, 0, -3])
    parts = units(get_definition(name), _summary(clips).clips, dataset=dataset, fps=25)
    lve, fdd = naive_definition(name, clips, LIP, UPPER, dataset=dataset, fps=25)
    assert parts.lve == pytest.approx(lve, rel=1e-10)
    if fdd is None:
        assert get_definition(name).fdd is None and parts.fdd is None
    else:
        assert parts.fdd == pytest.approx(fdd, rel=1e-9, abs=1e-14)


@pytest.mark.parametrize("name", ["unitalker", "unitalker-lvd"])
def test_unitalker_cuts_clips_at_twenty_seconds(name):
    fps = 2.0  # 20 s = 40 frames
    clips = _clips(3, [55, 12])
    parts = units(get_definition(name), _summary(clips).clips, dataset="biwi", fps=fps)
    lve, _ = naive_definition(name, clips, LIP, UPPER, dataset="biwi", fps=fps)
    assert parts.lve == pytest.approx(lve, rel=1e-10)
    uncut = units(get_definition(name), _summary(clips).clips, dataset="biwi", fps=100)
    assert uncut.lve != pytest.approx(parts.lve, rel=1e-6)


def test_pooling_and_scale_make_the_differences_the_docs_describe():
    clips = _summary(_clips(5, [2, 40]))
    ct = units(get_definition("codetalker"), clips.clips, dataset="biwi", fps=25)
    ds = units(get_definition("diffspeaker"), clips.clips, dataset="biwi", fps=25)
    ut = units(get_definition("unitalker"), clips.clips, dataset="biwi", fps=25)
    assert ct.lve == pytest.approx(clips.lve) and ct.fdd == pytest.approx(clips.fdd)
    assert ds.lve == pytest.approx(np.mean([c.lve for c in clips.clips]))
    assert ut.lve == pytest.approx(0.04 * ds.lve)  # BIWI lengths × 0.2, squared
    assert ut.fdd == pytest.approx(0.04 * ct.fdd)
    assert ct.per_clip("lve") == pytest.approx([c.lve for c in clips.clips])


def test_conditions_of_one_clip_are_one_unit():
    metric = VertexMetrics(lip_indices=LIP, upper_face_indices=UPPER)
    clips = _clips(9, [4, 6, 5])
    for cond, (pred, gt, template) in zip(("A", "B"), clips[:2]):
        metric.update(pred, gt[: len(pred)], template, name="x", condition=cond)
    metric.update(*clips[2], name="y")
    summary = metric.compute()
    parts = units(get_definition("diffspeaker"), summary.clips, dataset="", fps=30)
    assert parts.names == ["x", "y"] and list(parts.lve_den) == [2, 1]
    per_pred = [c.lve for c in summary.clips]
    assert parts.lve == pytest.approx((per_pred[0] + per_pred[1] + per_pred[2]) / 3)


def test_only_the_lip_terms_asked_for_are_computed():
    assert lip_terms_needed(["codetalker", "unitalker-lvd"]) == ()
    assert set(lip_terms_needed(list(DEFINITIONS))) == set(LIP_TERMS)
    metric = VertexMetrics(lip_indices=LIP, lip_terms=lip_terms_needed(["meshtalk"]))
    clip = metric.update(*_clips(2, [4])[0][:2])
    assert clip.lip_mean is None and clip.lip_centred_max.shape == (4,)
    with pytest.raises(ValueError, match="lip term was not computed"):
        units(get_definition("lip-mean"), [clip], dataset="", fps=30)


def test_names_aliases_and_unknown():
    assert get_definition("FaceFormer").name == "codetalker"
    assert get_definition("selftalk").name == "codetalker"
    assert definition_names("all") == list(DEFINITIONS)
    assert definition_names("unitalker, meshtalk") == ["unitalker", "meshtalk"]
    with pytest.raises(ConfigError, match="unknown metric definition 'nope'"):
        definition_names("codetalker,nope")
