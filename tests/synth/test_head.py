import numpy as np
import pytest

from selftalk.arkit import ALPHABETICAL, ALPHABETICAL_INDEX
from selftalk.synth.head import lip_gap, load_head
from selftalk.synth.subjects import make_subjects


@pytest.fixture(scope="module")
def head():
    return load_head()


def test_asset_shapes_and_regions(head):
    v = head.n_vertices
    assert head.template.shape == (v, 3) and v > 4000
    assert head.blendshapes.shape == (52, v, 3)
    assert head.blendshape_names == ALPHABETICAL
    assert head.faces.min() >= 0 and head.faces.max() < v
    for name, idx in head.regions.items():
        assert idx.size and idx.min() >= 0 and idx.max() < v, name
    assert not set(head.regions["lips"]) & set(head.regions["upper_face"])
    # metres: a head is about 15-20 cm wide
    width = np.ptp(head.template[:, 0])
    assert 0.12 < width < 0.25
    # the face looks along +z: the lips are in front of the eyes' vertical plane centre
    assert head.template[head.regions["lips"], 2].mean() > head.template[:, 2].mean()
    assert (
        head.template[head.regions["upper_face"], 1].mean()
        > head.template[head.regions["lips"], 1].mean()
    )


def test_pose_matches_naive_sum(head):
    rng = np.random.default_rng(0)
    w = rng.uniform(0, 1, size=(3, 52)).astype(np.float32)
    out = head.pose(w)
    for t in range(3):
        expected = head.template.astype(np.float64).copy()
        for k in range(52):
            expected += w[t, k] * head.blendshapes[k]
        np.testing.assert_allclose(out[t], expected, atol=1e-6)


def test_jaw_opens_and_mouth_close_closes(head):
    w = np.zeros((3, 52), np.float32)
    w[1, ALPHABETICAL_INDEX["jawOpen"]] = 0.5
    w[2, ALPHABETICAL_INDEX["jawOpen"]] = 0.5
    w[2, ALPHABETICAL_INDEX["mouthClose"]] = 0.5
    gap = lip_gap(head.pose(w), head)
    assert gap[0] < 0.003  # lips together at rest
    assert gap[1] > gap[0] + 0.01  # a centimetre open
    assert abs(gap[2] - gap[0]) < 0.001  # jaw open, lips closed


def test_subjects_are_distinct_and_deterministic(head):
    a = make_subjects(head, 4, seed=3)
    b = make_subjects(head, 4, seed=3)
    c = make_subjects(head, 4, seed=4)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.template, y.template)
        assert x.style == y.style
    assert not np.allclose(a[0].template, c[0].template)
    names = [s.name for s in a]
    assert len(set(names)) == 4
    for i in range(4):
        for j in range(i + 1, 4):
            d = np.linalg.norm(a[i].template - a[j].template, axis=1)
            assert 0.002 < d.mean() < 0.03  # millimetres to centimetres, like real faces
    assert make_subjects(head, 2, seed=3)[1].name == a[1].name
    np.testing.assert_array_equal(make_subjects(head, 2, seed=3)[1].template, a[1].template)
