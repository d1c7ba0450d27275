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


@pytest.mark.parametrize("created", ["folder", "temporary"])
def test_a_signal_right_after_creating_leaves_nothing(tmp_path, monkeypatch, created):
    """Ctrl-C or SIGTERM lands between two bytecodes: here, just after the folder or the
    temporary file was made and before the code had recorded it (the CI failure of
    test_sigterm_while_writing_leaves_nothing). Neither may be left behind."""
    import os
    from pathlib import Path

    real_mkdir, real_open = Path.mkdir, os.open

    def mkdir_then_interrupted(self, *args, **kwargs):
        real_mkdir(self, *args, **kwargs)
        raise KeyboardInterrupt

    def open_then_interrupted(file, flags, *args, **kwargs):
        fd = real_open(file, flags, *args, **kwargs)
        if ".tmp" in os.fspath(file):
            os.close(fd)
            raise KeyboardInterrupt
        return fd

    if created == "folder":
        monkeypatch.setattr(Path, "mkdir", mkdir_then_interrupted)
    else:
        monkeypatch.setattr(os, "open", open_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(tmp_path / "out" / "deeper" / "v.mp4") as tmp:
            tmp.write_bytes(b"video")
    assert list(tmp_path.iterdir()) == []
