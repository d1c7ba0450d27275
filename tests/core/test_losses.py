import math

import torch

from selftalk.losses import ctc_loss, latent_loss, reconstruction_loss, velocity_loss


def test_reconstruction_loss_by_hand():
    pred = torch.zeros(1, 2, 1, 3)
    target = torch.tensor([[[[1.0, 0.0, 0.0]], [[0.0, 2.0, 0.0]]]])
    # squared errors 1 and 4 over 6 entries
    torch.testing.assert_close(
        reconstruction_loss(pred, target, torch.tensor([2])), torch.tensor([5 / 6])
    )
    # only the first frame is valid
    torch.testing.assert_close(
        reconstruction_loss(pred, target, torch.tensor([1])), torch.tensor([1 / 3])
    )


def test_velocity_loss_by_hand():
    pred = torch.zeros(1, 3, 1, 1)
    target = torch.tensor([0.0, 1.0, 3.0]).view(1, 3, 1, 1)
    # target velocities 1 and 2, predicted 0 → (1 + 4) / 2
    torch.testing.assert_close(velocity_loss(pred, target, torch.tensor([3])), torch.tensor([2.5]))
    torch.testing.assert_close(velocity_loss(pred, target, torch.tensor([2])), torch.tensor([1.0]))
    assert velocity_loss(pred[:, :1], target[:, :1], torch.tensor([1])).item() == 0.0
    # a constant offset has no velocity error
    torch.testing.assert_close(
        velocity_loss(target + 5, target, torch.tensor([3])), torch.tensor([0.0])
    )


def test_latent_loss_by_hand_ignores_padding():
    lips = torch.tensor([[[1.0, 1.0], [9.0, 9.0]]])
    speech = torch.tensor([[[0.0, 3.0], [0.0, 0.0]]])
    torch.testing.assert_close(latent_loss(lips, speech, torch.tensor([1])), torch.tensor([2.5]))


def test_ctc_loss_by_hand():
    # two frames, vocabulary {blank, a}; label "a": paths (a,a), (a,-), (-,a)
    p = torch.tensor([[0.2, 0.8], [0.6, 0.4]])
    logits = p.log()[None]
    likelihood = p[0, 1] * p[1, 1] + p[0, 1] * p[1, 0] + p[0, 0] * p[1, 1]
    got = ctc_loss(logits, torch.tensor([2]), torch.tensor([[1]]), torch.tensor([1]))
    torch.testing.assert_close(got, torch.tensor([-math.log(likelihood)]))


def test_ctc_loss_matches_torch_mean_reduction_per_clip():
    torch.manual_seed(0)
    logits = torch.randn(3, 12, 6)
    labels = torch.randint(1, 6, (3, 4))
    lengths, label_lengths = torch.tensor([12, 9, 7]), torch.tensor([4, 3, 0])
    ours = ctc_loss(logits, lengths, labels, label_lengths)
    for i in range(3):
        ref = torch.nn.functional.ctc_loss(
            logits[i : i + 1, : lengths[i]].log_softmax(-1).transpose(0, 1),
            labels[i : i + 1, : label_lengths[i]],
            lengths[i : i + 1],
            label_lengths[i : i + 1],
            reduction="mean",
            zero_infinity=True,
        )
        torch.testing.assert_close(ours[i], ref)


def test_impossible_ctc_alignment_counts_zero():
    logits = torch.randn(1, 2, 5)
    got = ctc_loss(logits, torch.tensor([2]), torch.tensor([[1, 2, 3, 4]]), torch.tensor([4]))
    assert got.item() == 0.0
