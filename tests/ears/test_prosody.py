"""Prosody features: local (a slice equals the whole), meaningful, bounded."""

from __future__ import annotations

import numpy as np

from selftalk.models.prosody import HOP, N_FEATURES, frame_count, prosody_features


def test_frames_are_local():
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(16_000)).astype(np.float32)
    whole = prosody_features(audio)
    assert whole.shape == (frame_count(len(audio)), N_FEATURES) == (51, 11)
    # frames 20..29 from a buffer that starts at frame 10's centre
    part = prosody_features(audio[10 * HOP :], 10, 10)
    np.testing.assert_allclose(part, whole[20:30], atol=1e-6)  # BLAS may round per batch


def test_level_voicing_and_pitch():
    t = np.arange(16_000) / 16_000
    tone = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    audio = np.concatenate([np.zeros(8000, np.float32), tone])
    f = prosody_features(audio)
    silent, voiced = f[5:20], f[30:45]
    assert (silent[:, 0] < voiced[:, 0] - 2).all()  # 50 dB quieter, scaled by 25
    assert (voiced[:, 9] > 0.9).all() and (silent[:, 9] == 0).all()
    np.testing.assert_allclose(2 ** voiced[:, 10] * 150, 200, rtol=0.03)
    assert np.all(np.abs(f) <= 4)
