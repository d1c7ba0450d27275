"""A vertex head over a fixed motion basis: the decoder predicts R coefficients a frame, and
offsets = mean + coefficients · basis, with the basis an orthonormal PCA of training motion.

Face motion is low-dimensional (SynthTalk's is exactly the span of 52 blendshapes; VOCASET's
and BIWI's keep >99.9 % of their variance in a few hundred components), so such a head loses
next to nothing, and it makes training cheap: because the basis is orthonormal, the squared
error of the offsets equals the squared error of the coefficients plus a constant (the part of
the target outside the basis), so losses are computed on R numbers a frame instead of 3V.
"""

from __future__ import annotations

import torch
from torch import nn


class MotionBasis(nn.Module):
    """R orthonormal directions of vertex motion (flattened V·3) and the mean offset."""

    def __init__(self, n_vertices: int, rank: int):
        super().__init__()
        self.register_buffer("basis", torch.zeros(rank, n_vertices * 3))
        self.register_buffer("mean", torch.zeros(n_vertices * 3))

    @property
    def rank(self) -> int:
        return self.basis.shape[0]

    @torch.no_grad()
    def fit(self, offsets: torch.Tensor) -> float:
        """Fit to (N, V, 3) offsets from templates (frames of training motion); returns the
        share of their variance the basis keeps."""
        flat = offsets.reshape(len(offsets), -1).float()
        mean = flat.mean(0)
        centred = flat - mean
        rank = min(self.rank, *centred.shape)
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(0)  # randomised SVD: the same basis for the same data, whatever the seed
        _, s, v = torch.svd_lowrank(centred, q=min(rank + 10, *centred.shape), niter=6)
        torch.random.set_rng_state(generator_state)
        basis = torch.zeros_like(self.basis)
        basis[:rank] = v[:, :rank].T
        self.basis.copy_(basis)
        self.mean.copy_(mean)
        total = float(centred.double().square().sum())
        return float((s[:rank].double() ** 2).sum()) / total if total > 0 else 1.0

    def offsets(self, coefficients: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """(..., R) → (..., V, 3) offsets; ``rows`` (n,) vertex indices → (..., n, 3) only."""
        basis, mean = self.basis, self.mean
        if rows is not None:
            index = (rows[:, None] * 3 + torch.arange(3, device=rows.device)).reshape(-1)
            basis, mean = basis[:, index], mean[index]
        out = coefficients @ basis + mean
        return out.reshape(*coefficients.shape[:-1], -1, 3)

    def project(self, offsets: torch.Tensor) -> torch.Tensor:
        """(..., V, 3) offsets → (..., R) coefficients of their part in the basis."""
        flat = offsets.reshape(*offsets.shape[:-2], -1)
        return (flat - self.mean) @ self.basis.T
