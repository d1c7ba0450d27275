"""Synthetic subjects: a face (identity coefficients) and a consistent speaking style each."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from selftalk.synth.head import Head


@dataclass(frozen=True, kw_only=True)
class SpeakingStyle:
    """How one subject articulates; every field multiplies or sets an animator quantity.

    Attributes:
        articulation: overall amplitude of mouth shapes (1 = the viseme table).
        jaw: extra gain on jaw opening (jaw-driven speakers > 1).
        lips: extra gain on lip shapes (rounding, spreading, rolling).
        coarticulation: how far each phone's influence reaches into its neighbours (1 = 60 ms).
        anticipation: share of the reach spent before a phone rather than after (0..1).
        jaw_stiffness: natural frequency of the jaw in Hz (higher follows targets faster).
        blink_rate: blinks a minute.
        blink_depth: eyelid closure at the bottom of a blink (0..1).
        brow_gain: brow raise for one standard deviation of pitch and energy.
        smile: constant smile while speaking (0..0.3).
        asymmetry: left/right imbalance of mouth shapes (-0.2..0.2; positive favours the left).
        gaze: amplitude of eye movements (0..0.3).
    """

    articulation: float = 1.0
    jaw: float = 1.0
    lips: float = 1.0
    coarticulation: float = 1.0
    anticipation: float = 0.55
    jaw_stiffness: float = 6.0
    blink_rate: float = 17.0
    blink_depth: float = 0.95
    brow_gain: float = 0.35
    smile: float = 0.05
    asymmetry: float = 0.0
    gaze: float = 0.12

    @classmethod
    def sample(cls, rng: np.random.Generator) -> SpeakingStyle:
        """A random, plausible style."""
        return cls(
            articulation=float(rng.uniform(0.75, 1.25)),
            jaw=float(rng.uniform(0.75, 1.3)),
            lips=float(rng.uniform(0.75, 1.3)),
            coarticulation=float(rng.uniform(0.7, 1.4)),
            anticipation=float(rng.uniform(0.45, 0.7)),
            jaw_stiffness=float(rng.uniform(5.5, 9.0)),
            blink_rate=float(rng.uniform(8.0, 28.0)),
            blink_depth=float(rng.uniform(0.85, 1.0)),
            brow_gain=float(rng.uniform(0.1, 0.6)),
            smile=float(rng.uniform(0.0, 0.2)),
            asymmetry=float(rng.uniform(-0.15, 0.15)),
            gaze=float(rng.uniform(0.05, 0.2)),
        )


@dataclass(frozen=True, kw_only=True)
class Subject:
    """A synthetic speaker: ``name``, identity coefficients (K,), style and (V, 3) template."""

    name: str
    identity: np.ndarray
    style: SpeakingStyle
    template: np.ndarray

    def describe(self) -> dict:
        """JSON-ready facts about the subject (for meta.json)."""
        return {
            "identity": [round(float(x), 5) for x in self.identity],
            "style": {k: round(v, 4) for k, v in asdict(self.style).items()},
        }


def make_subjects(
    head: Head, n: int, *, seed: int = 0, prefix: str = "S", n_components: int = 16
) -> list[Subject]:
    """``n`` distinct subjects, the same for the same ``seed``.

    Identity coefficients are drawn from N(0, 1) over the first ``n_components`` components of
    the head's identity basis (one unit is one standard deviation of anny's heads); subject i
    depends only on ``seed`` and i, so asking for more subjects keeps the first ones.
    """
    subjects = []
    width = max(2, len(str(n)))
    for i in range(n):
        rng = np.random.default_rng([seed, i, 0x5B])
        k = min(n_components, len(head.identity_basis))
        identity = rng.standard_normal(k).astype(np.float32)
        subjects.append(
            Subject(
                name=f"{prefix}{i + 1:0{width}d}",
                identity=identity,
                style=SpeakingStyle.sample(rng),
                template=head.identity(identity),
            )
        )
    return subjects
