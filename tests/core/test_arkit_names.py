"""One home for the ARKit names (selftalk.arkit): both orders, reordering, the one curve layout."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

import selftalk
from selftalk.arkit import (
    ALPHABETICAL,
    ALPHABETICAL_INDEX,
    LIVE_LINK,
    LIVE_LINK_HEADER,
    match_names,
    permutation,
    read_live_link_csv,
    reorder,
    write_curves,
)


def test_the_two_orders_are_permutations_of_the_same_52_names():
    assert len(ALPHABETICAL) == len(set(ALPHABETICAL)) == 52
    assert sorted(LIVE_LINK) == list(ALPHABETICAL)  # alphabetical is exactly the sorted order
    assert list(LIVE_LINK) != list(ALPHABETICAL)
    assert LIVE_LINK[:2] == ("eyeBlinkLeft", "eyeLookDownLeft") and LIVE_LINK[-1] == "tongueOut"
    assert LIVE_LINK_HEADER[2:54] == tuple(n[0].upper() + n[1:] for n in LIVE_LINK)
    assert all(ALPHABETICAL[i] == n for n, i in ALPHABETICAL_INDEX.items())


def test_reorder_round_trips_and_moves_columns_by_name():
    weights = np.random.default_rng(0).random((5, 52)).astype(np.float32)
    live = reorder(weights, ALPHABETICAL, LIVE_LINK)
    np.testing.assert_array_equal(reorder(live, LIVE_LINK, ALPHABETICAL), weights)
    for name in ("jawOpen", "mouthLeft", "eyeBlinkRight"):
        np.testing.assert_array_equal(
            live[:, LIVE_LINK.index(name)], weights[:, ALPHABETICAL.index(name)]
        )
    assert sorted(permutation(ALPHABETICAL, LIVE_LINK)) == list(range(52))
    with pytest.raises(ValueError):
        permutation(ALPHABETICAL[:-1], LIVE_LINK[:-1] + ("x",))


def test_names_match_whatever_their_spelling():
    weights = np.array([[0.1, 0.2, 0.3]], np.float32)
    out, missing = match_names(weights, ["JawOpen", "eyeBlink_L", "notAShape"])
    assert out[0, LIVE_LINK.index("jawOpen")] == pytest.approx(0.1)
    assert out[0, LIVE_LINK.index("eyeBlinkLeft")] == pytest.approx(0.2)
    assert len(missing) == 50 and "jawOpen" not in missing


@pytest.mark.parametrize("order", [ALPHABETICAL, LIVE_LINK])
def test_curve_files_hold_live_link_columns_whatever_the_input_order(tmp_path, order):
    weights = np.random.default_rng(1).random((4, 52)).astype(np.float32)
    write_curves(tmp_path / "w.csv", weights, fps=25, order=order)
    write_curves(tmp_path / "w.json", weights, fps=25, order=order)
    expected = reorder(weights, order, LIVE_LINK)
    np.testing.assert_allclose(read_live_link_csv(tmp_path / "w.csv"), expected, atol=1e-6)
    data = json.loads((tmp_path / "w.json").read_text())
    assert data["format"] == "selftalk.arkit52/1" and data["names"] == list(LIVE_LINK)
    np.testing.assert_allclose(data["weights"], expected, atol=1e-6)
    assert data["times"] == [0.0, 0.04, 0.08, 0.12]


def test_only_selftalk_arkit_lists_the_52_names():
    """No other module spells the list out again (in either order)."""
    names = set(ALPHABETICAL)
    root = Path(selftalk.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        if path.name == "arkit.py" and path.parent == root:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            strings = []
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                strings = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings = node.value.split()
            if len(names.intersection(map(str, strings))) >= 20:
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []
