import os
import pickle

import numpy as np
import pytest

from selftalk.data.safe_pickle import UnsafePickleError, load_pickle


class _Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_plain_data_loads(tmp_path, protocol):
    data = {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b": [1, 2.5, "x", (3, 4)],
        "c": np.float64(2.0),
        "d": {"nested": np.array([1, 2], np.int64)},
    }
    path = tmp_path / "ok.pkl"
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    loaded = load_pickle(path)
    np.testing.assert_array_equal(loaded["a"], data["a"])
    assert loaded["b"] == data["b"] and loaded["c"] == 2.0
    np.testing.assert_array_equal(loaded["d"]["nested"], [1, 2])


def test_a_pickle_that_would_create_a_file_is_refused_and_creates_nothing(tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"template": _Exploit(str(target))}, protocol=2))
    with pytest.raises(UnsafePickleError, match="open"):
        load_pickle(path)
    assert not target.exists()


def test_os_system_is_refused(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(b"cos\nsystem\n(S'touch pwned'\ntR.")
    with pytest.raises(UnsafePickleError, match="os.system"):
        load_pickle(path)
    assert not os.path.exists("pwned")


def test_garbage_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.pkl"
    path.write_bytes(b"not a pickle at all")
    with pytest.raises(Exception, match="junk.pkl"):
        load_pickle(path)
