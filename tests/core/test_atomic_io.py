import numpy as np
import pytest

from selftalk.io import atomic_path, save_npy, write_json


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text().strip().startswith("{") and '"v": 1' in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_save_npy_keeps_the_suffix_and_content(tmp_path):
    save_npy(tmp_path / "a.npy", np.arange(4))
    assert np.load(tmp_path / "a.npy").tolist() == [0, 1, 2, 3]


def test_outputs_get_the_usual_permissions(tmp_path):
    import os

    save_npy(tmp_path / "a.npy", np.arange(2))
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "a.npy").stat().st_mode & 0o777 == 0o666 & ~mask
