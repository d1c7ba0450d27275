import numpy as np
import pytest
import torch

from selftalk.models.frames import (
    conv_output_lengths,
    interpolate_frames,
    lengths_to_mask,
    mesh_frame_count,
    stack_factor,
    stack_frames,
)

XLSR_KERNELS, XLSR_STRIDES = (10, 3, 3, 3, 3, 2, 2), (5, 2, 2, 2, 2, 2, 2)


def naive_conv_length(n):
    for k, s in zip(XLSR_KERNELS, XLSR_STRIDES):
        n = (n - k) // s + 1
    return n


@pytest.mark.parametrize("samples", [400, 16_000, 16_001, 74_721, 320_000])
def test_conv_output_lengths(samples):
    got = conv_output_lengths(torch.tensor([samples]), XLSR_KERNELS, XLSR_STRIDES)
    assert int(got) == naive_conv_length(samples)


def test_conv_output_lengths_match_a_real_cnn():
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    from selftalk.config import tiny_encoder

    spec = tiny_encoder()
    model = Wav2Vec2Model(Wav2Vec2Config(**spec.hf_kwargs())).eval()
    for samples in (1000, 16_000, 23_457):
        frames = model.feature_extractor(torch.zeros(1, samples)).shape[-1]
        assert (
            int(conv_output_lengths(torch.tensor([samples]), spec.conv_kernel, spec.conv_stride))
            == frames
        )


def test_mesh_frame_count_as_the_release():
    # 20.0 s at 16 kHz → 999 CNN frames → 599 frames at 30 fps (int(999 / 50 * 30))
    assert naive_conv_length(320_000) == 999
    assert mesh_frame_count(999, 50, 30) == 599
    assert mesh_frame_count(999, 50, 25) == 499
    assert mesh_frame_count(999, 50, 60) == 1198
    assert mesh_frame_count(0, 50, 30) == 0


def naive_linear(x, n_out):
    """align_corners=True linear resampling of (T, C), written out."""
    n_in = len(x)
    if n_out == 1:
        return x[:1].copy()
    out = np.zeros((n_out, x.shape[1]), x.dtype)
    for j in range(n_out):
        pos = j * (n_in - 1) / (n_out - 1)
        i0 = int(np.floor(pos))
        i1 = min(i0 + 1, n_in - 1)
        w = pos - i0
        out[j] = (1 - w) * x[i0] + w * x[i1]
    return out


@pytest.mark.parametrize(
    "n_in, n_out", [(50, 30), (49, 29), (101, 60), (50, 25), (3, 7), (1, 4), (10, 1)]
)
def test_interpolate_frames_matches_a_naive_loop(n_in, n_out):
    x = torch.randn(1, n_in, 5, dtype=torch.float64)
    got = interpolate_frames(x, torch.tensor([n_in]), torch.tensor([n_out]))
    np.testing.assert_allclose(got[0].numpy(), naive_linear(x[0].numpy(), n_out), atol=1e-12)


def test_interpolate_frames_treats_each_row_alone():
    a, b = torch.randn(1, 40, 3), torch.randn(1, 25, 3)
    padded = torch.zeros(2, 40, 3)
    padded[0], padded[1, :25] = a[0], b[0]
    out = interpolate_frames(padded, torch.tensor([40, 25]), torch.tensor([24, 15]))
    assert out.shape == (2, 24, 3)
    torch.testing.assert_close(
        out[0], interpolate_frames(a, torch.tensor([40]), torch.tensor([24]))[0]
    )
    torch.testing.assert_close(
        out[1, :15], interpolate_frames(b, torch.tensor([25]), torch.tensor([15]))[0]
    )
    assert torch.all(out[1, 15:] == 0)


def test_stack_frames_pairs_consecutive_frames_and_drops_the_odd_one():
    x = torch.arange(2 * 7 * 2, dtype=torch.float32).view(2, 7, 2)
    out = stack_frames(x, 2, torch.tensor([3, 2]))
    assert out.shape == (2, 3, 4)
    torch.testing.assert_close(out[0, 1], torch.cat([x[0, 2], x[0, 3]]))
    assert torch.all(out[1, 2] == 0)
    with pytest.raises(ValueError):
        stack_frames(x, 2, torch.tensor([4, 1]))


def test_stack_factor():
    assert stack_factor(50, 25) == 2 and stack_factor(50, 50) == 1
    with pytest.raises(ValueError):
        stack_factor(50, 30)


def test_lengths_to_mask():
    mask = lengths_to_mask(torch.tensor([2, 0, 3]), 4)
    assert mask.tolist() == [[1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 0]]
