"""The output low-pass: streamed in any chunks it equals the whole clip's convolution."""

import numpy as np
import pytest
from scipy.ndimage import convolve1d

from selftalk.config import AnimatorConfig
from selftalk.errors import ConfigError
from selftalk.models.smoothing import MotionSmoother, binomial_kernel, smooth_motion


def _clip(frames: int) -> np.ndarray:
    return np.random.default_rng(frames).normal(size=(frames, 4, 3)).astype(np.float32)


def test_kernels_are_binomial():
    np.testing.assert_allclose(binomial_kernel(3), [0.25, 0.5, 0.25])
    np.testing.assert_allclose(binomial_kernel(5), np.array([1, 4, 6, 4, 1]) / 16)
    assert binomial_kernel(1).tolist() == [1.0]


@pytest.mark.parametrize("taps", [1, 3, 5, 7])
@pytest.mark.parametrize("frames", [1, 2, 3, 8, 41])
@pytest.mark.parametrize("chunk", [1, 2, 5, 100])
def test_streamed_frames_equal_the_whole_clip_filtered(taps, frames, chunk):
    clip = _clip(frames)
    expected = convolve1d(clip, binomial_kernel(taps), axis=0, mode="nearest")
    smoother = MotionSmoother(taps)
    parts = [smoother.push(clip[i : i + chunk]) for i in range(0, frames, chunk)]
    parts.append(smoother.flush())
    got = np.concatenate([p for p in parts if len(p)])
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_frames_wait_for_reach_more_and_memory_stays_bounded():
    smoother = MotionSmoother(5)
    out = [len(smoother.push(_clip(1))) for _ in range(50)]
    assert out[:2] == [0, 0] and set(out[2:]) == {1}  # each frame leaves two frames later
    assert len(smoother._held) == 4  # two frames of context each side, whatever the length
    assert len(smoother.flush()) == 2


def test_smooth_motion_filters_in_place_in_blocks():
    clip = _clip(41)
    expected = convolve1d(clip, binomial_kernel(3), axis=0, mode="nearest")
    got = smooth_motion(clip, 3, block=4)
    assert got is clip
    np.testing.assert_allclose(clip, expected, atol=1e-6)
    untouched = _clip(5)
    assert smooth_motion(untouched.copy(), 1).tolist() == untouched.tolist()


@pytest.mark.parametrize("taps", [0, 2, 17])
def test_even_or_out_of_range_taps_are_refused(taps):
    with pytest.raises(ConfigError, match="smoothing"):
        AnimatorConfig(smoothing=taps).validate()


def test_predicted_splits_are_smoothed_as_the_model_says(tmp_path):
    """``selftalk test`` (predict_split) filters like ``animate``: same frames, low-passed."""
    import json
    import shutil
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
    import torch
    from hostile import dataset, model_dir
    from safetensors.torch import load_file, save_file

    from selftalk.inference.evaluate import predict_split

    data = dataset(tmp_path / "data", n_vertices=64, seconds=1.0)
    rough = model_dir(tmp_path / "rough")
    weights = load_file(rough / "model.safetensors")  # a head that moves the face
    head = weights["animator.vertex_head.weight"]
    weights["animator.vertex_head.weight"] = (
        torch.randn(head.shape, generator=torch.Generator().manual_seed(0)) * 0.1
    )
    save_file(weights, rough / "model.safetensors")
    smooth = shutil.copytree(rough, tmp_path / "smooth")
    config = json.loads((smooth / "config.json").read_text())
    config["model"]["animator"]["smoothing"] = 3
    (smooth / "config.json").write_text(json.dumps(config))
    for model in (rough, smooth):
        predict_split(
            data_dir=data, split="test", out_dir=tmp_path / f"{model.name}-out", model_dir=model
        )
    raw, got = (np.load(tmp_path / f"{name}-out" / "s_a.npy") for name in ("rough", "smooth"))
    expected = convolve1d(raw, binomial_kernel(3), axis=0, mode="nearest")
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert np.abs(got - raw).max() > 1e-6
