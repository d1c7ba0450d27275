"""The animator that hears phonemes: causal and bounded, batch == one by one, the basis head's
losses equal the vertex losses, and streaming equals offline."""

from __future__ import annotations

import pytest
import torch
from conftest import random_phoneme_model

from selftalk.config import LossConfig, tiny_phonemes
from selftalk.data.batch import Batch
from selftalk.losses import reconstruction_loss, velocity_loss
from selftalk.models.diagram import CommutativeDiagram

random_model = random_phoneme_model  # other test files import it by this name


def features(frames: int, seed: int = 1) -> torch.Tensor:
    n = tiny_phonemes().model.animator.ears.n_features(True)
    return torch.randn(frames, n, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("head", ["basis", "linear"])
def test_padded_batch_equals_clips_one_by_one(head):
    model = random_model(head=head)
    x = torch.stack([features(120, 1), features(120, 2)])
    templates = torch.randn(2, 64, 3)
    out = model(x, templates, torch.tensor([120, 70]))
    one = model(x[1:, :70], templates[1:], torch.tensor([70]))
    n = int(one.frame_lengths[0])
    assert out.frame_lengths.tolist() == [72, n]
    torch.testing.assert_close(out.vertices[1, :n], one.vertices[0], atol=1e-5, rtol=0)
    assert (out.vertices[1, n:] == 0).all()


def test_frames_do_not_hear_beyond_the_lookahead():
    model = random_model()
    lookahead = model.config.animator.lookahead
    x = features(100)
    later = x.clone()
    later[60:] += 5.0  # change the future from feature frame 60 on
    templates = torch.zeros(1, 64, 3)
    a = model(x[None], templates).vertices[0]
    b = model(later[None], templates).vertices[0]
    # mesh frame j interpolates feature frames floor(j·5/3) and the next, each seeing
    # `lookahead` frames ahead: frames up to j with floor(j·5/3) + 1 + lookahead < 60 agree
    last_same = max(j for j in range(60) if int(j * 50 / 30) + 1 + lookahead < 60)
    torch.testing.assert_close(a[: last_same + 1], b[: last_same + 1])
    assert not torch.allclose(a[last_same + 2 :], b[last_same + 2 :])


@pytest.mark.parametrize("piece", [1, 5, 17, 100])
def test_the_encoder_fed_piece_by_piece_equals_one_pass(piece):
    """EncoderStream (each frame's convolutions once, small pieces as one matrix product)
    gives the hidden states of ``encode`` over the whole input."""
    from selftalk.models.phonetic_encoder import EncoderStream

    encoder = random_model().animator.phonetic
    x = features(100)[None]
    whole = encoder.encode(x, torch.tensor([100]))
    stream = EncoderStream(encoder)
    with torch.no_grad():
        parts = [stream.push(x[:, i : i + piece]) for i in range(0, 100, piece)]
        outputs = torch.cat([*parts, stream.finish()], dim=1)
    torch.testing.assert_close(outputs[:, encoder.lookahead :], whole, atol=1e-5, rtol=0)


def test_streams_share_the_reshaped_convolutions_until_the_weights_change():
    """Every stream of one model reads the same reshaped weights (no 8 MB copy a stream); a
    weight changed in place (an optimiser step, a load) is seen by the next stream."""
    from selftalk.models.phonetic_encoder import EncoderStream

    encoder = random_model().animator.phonetic
    first, second = EncoderStream(encoder), EncoderStream(encoder)
    assert all(a is b for a, b in zip(first.taps, second.taps))
    x = features(20)[None]
    with torch.no_grad():
        encoder.blocks[0].conv.weight.mul_(2.0)
        after = EncoderStream(encoder)
        streamed = torch.cat([after.push(x), after.finish()], dim=1)
    assert after.taps[0] is not first.taps[0]
    torch.testing.assert_close(
        streamed[:, encoder.lookahead :], encoder.encode(x, torch.tensor([20])), atol=1e-5, rtol=0
    )


def test_basis_losses_equal_vertex_losses():
    model = random_model()
    basis = model.animator.basis
    frames, templates = 30, torch.randn(2, 64, 3)
    inside = torch.randn(2, frames, basis.rank) @ basis.basis
    target = templates[:, None] + (inside + 0.01 * torch.randn_like(inside)).view(2, frames, 64, 3)
    batch = Batch(
        names=["a_s1", "b_s1"],
        subjects=["a", "b"],
        audio=torch.zeros(2, 1),
        audio_lengths=torch.tensor([1, 1]),
        vertices=target,
        frame_lengths=torch.tensor([frames, 20]),
        templates=templates,
    )
    diagram = CommutativeDiagram(model, None, LossConfig(lat=0, ctc=0))
    x = torch.stack([features(50), features(50, 2)])
    out = diagram(batch, heard=(x, torch.tensor([50, 34])))
    motion = out.motion
    n = motion.vertices.shape[1]
    expected_rec = reconstruction_loss(motion.vertices, target[:, :n], motion.frame_lengths)
    expected_vel = velocity_loss(motion.vertices, target[:, :n], motion.frame_lengths)
    torch.testing.assert_close(out.per_clip["rec"], expected_rec, rtol=1e-4, atol=1e-7)
    torch.testing.assert_close(out.per_clip["vel"], expected_vel, rtol=1e-4, atol=1e-7)


def test_basis_fit_keeps_low_rank_motion():
    from selftalk.models.motion_basis import MotionBasis

    directions = torch.randn(5, 64 * 3)
    offsets = (torch.randn(400, 5) @ directions + 0.3).view(400, 64, 3)
    basis = MotionBasis(64, 8)
    assert basis.fit(offsets) == pytest.approx(1.0, abs=1e-5)
    rebuilt = basis.offsets(basis.project(offsets))
    torch.testing.assert_close(rebuilt, offsets, atol=1e-4, rtol=0)
    lips = torch.tensor([3, 10, 11])
    torch.testing.assert_close(basis.offsets(basis.project(offsets), lips), rebuilt[:, lips])
