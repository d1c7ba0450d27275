"""Procedural lip sync: timed phones (+ audio) → per-frame ARKit weights → vertices.

Design (docs/synthtalk.md has the details):
- Mouth: each phone's viseme target is weighted by a Gaussian dominance function centred on
  the phone (Cohen & Massaro 1993), whose reach into the neighbours grows with the speaker's
  coarticulation and leans forward (anticipation); the blend is the dominance-weighted mean.
- Jaw: the blended jaw opening goes through a critically damped spring run forwards and
  backwards (no lag), so the jaw has inertia but reaches the phones on time.
- Hard constraints after blending: the lips close during /p b m/ (``mouthClose`` follows
  ``jawOpen``, lip-parting shapes fade out), the lower lip rolls under the teeth on /f v/.
- Upper face: blinks (Poisson, per-subject rate), brow raises and eye widening that follow
  pitch and loudness prominence, slow gaze shifts.
Everything is computed on a 200 Hz grid and sampled at the frame times, so 25, 30 and 60 fps
show the same motion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selftalk.arkit import ALPHABETICAL, ALPHABETICAL_INDEX
from selftalk.checks import frame_rate
from selftalk.synth.phones import SILENCE, TimedPhone
from selftalk.synth.prosody import HOP, analyse, emphasis
from selftalk.synth.subjects import SpeakingStyle
from selftalk.synth.visemes import BILABIALS, LABIODENTALS, LIP_OPENERS, MOUTH_CHANNELS, viseme

GRID_HZ = 200.0
_REACH = 0.06  # seconds of coarticulation reach at coarticulation = 1
_CLOSURE_RAMP = 0.035  # seconds for the lips to meet before /p b m/ and part after it
_MOUTH = np.array([ALPHABETICAL_INDEX[n] for n in MOUTH_CHANNELS])
_LIP_SHAPES = np.array(
    [
        ALPHABETICAL_INDEX[n]
        for n in MOUTH_CHANNELS
        if n not in ("jawOpen", "mouthClose", "tongueOut")
    ]
)
_OPENERS = np.array([ALPHABETICAL_INDEX[n] for n in LIP_OPENERS])
_LEFT = np.array(
    [i for i, n in enumerate(ALPHABETICAL) if n.startswith("mouth") and n.endswith("Left")]
)
_RIGHT = np.array([ALPHABETICAL_INDEX[ALPHABETICAL[i][:-4] + "Right"] for i in _LEFT])
J, CLOSE = ALPHABETICAL_INDEX["jawOpen"], ALPHABETICAL_INDEX["mouthClose"]


@dataclass(frozen=True, kw_only=True)
class AnimatorOptions:
    """Options of :func:`animate`.

    Attributes:
        fps: output frames per second.
        upper_face: animate blinks, brows and gaze (off: mouth only).
        seed: seed of the random upper-face events (blinks, gaze).
    """

    fps: float = 30.0
    upper_face: bool = True
    seed: int = 0


def n_frames(duration: float, fps: float) -> int:
    """Frames for ``duration`` seconds at ``fps``: the nearest whole number, at least 1."""
    return max(1, int(round(duration * fps)))


def animate(
    phones: Sequence[TimedPhone],
    duration: float,
    *,
    style: SpeakingStyle | None = None,
    options: AnimatorOptions | None = None,
    audio: np.ndarray | None = None,
    sample_rate: int | None = None,
) -> np.ndarray:
    """Timed phones (+ optional (S,) audio for prosody) → (T, 52) float32 ARKit weights in [0, 1].

    ``T = round(duration * fps)``; frame k shows time k / fps.
    """
    style = style or SpeakingStyle()
    options = options or AnimatorOptions()
    frame_rate(options.fps)
    if duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    grid = np.arange(int(np.ceil(duration * GRID_HZ)) + 2) / GRID_HZ
    weights = np.zeros((len(grid), len(ALPHABETICAL)), np.float64)
    weights[:, _MOUTH] = _blend_visemes(phones, grid, style)[:, _MOUTH]
    _apply_style(weights, style)
    _jaw_dynamics(weights, style)
    _lip_constraints(weights, phones, grid, style)
    if options.upper_face:
        rng = np.random.default_rng([options.seed, 0xB1])
        prominence = _prominence(phones, grid, audio, sample_rate)
        _upper_face(weights, grid, prominence, style, rng, duration)
    frames = np.arange(n_frames(duration, options.fps)) / options.fps
    out = np.stack([np.interp(frames, grid, weights[:, k]) for k in range(weights.shape[1])], 1)
    out = np.clip(out, 0.0, 1.0)
    out[:, CLOSE] = np.minimum(out[:, CLOSE], out[:, J])  # ARKit: mouthClose <= jawOpen
    return out.astype(np.float32)


def _keys(phones: Sequence[TimedPhone]):
    """Dominance keys: (time, half-width, strength, (52,) target) for each phone target."""
    for p in phones:
        v = viseme(p.phone)
        d = p.end - p.start
        if len(v.weights) == 1:
            yield 0.5 * (p.start + p.end), 0.5 * d, v.strength, v.weights[0]
        else:
            yield p.start + 0.3 * d, 0.25 * d, v.strength, v.weights[0]
            yield p.start + 0.8 * d, 0.2 * d, v.strength, v.weights[1]


def _blend_visemes(
    phones: Sequence[TimedPhone], grid: np.ndarray, style: SpeakingStyle
) -> np.ndarray:
    """Dominance-weighted mean of viseme targets on the grid: (N, 52)."""
    keys = list(_keys(phones))
    if not keys:
        return np.zeros((len(grid), len(ALPHABETICAL)))
    centre = np.array([k[0] for k in keys])
    half = np.array([k[1] for k in keys])
    strength = np.array([k[2] for k in keys])
    target = np.stack([k[3] for k in keys])
    reach = _REACH * style.coarticulation
    before = half + 2 * reach * style.anticipation
    after = half + 2 * reach * (1 - style.anticipation)
    tau = grid[:, None] - centre[None, :]
    width = np.where(tau < 0, before[None, :], after[None, :])
    dominance = strength[None, :] * np.exp(-((tau / np.maximum(width, 0.02)) ** 2))
    dominance += 1e-9  # far from every phone the blend falls back on their plain mean
    return (dominance @ target) / dominance.sum(axis=1, keepdims=True)


def _apply_style(weights: np.ndarray, style: SpeakingStyle) -> None:
    weights[:, [J, CLOSE]] *= style.articulation * style.jaw
    weights[:, _LIP_SHAPES] *= style.articulation * style.lips
    weights[:, _LEFT] *= 1 + style.asymmetry
    weights[:, _RIGHT] *= 1 - style.asymmetry
    weights[:, [ALPHABETICAL_INDEX["mouthSmileLeft"], ALPHABETICAL_INDEX["mouthSmileRight"]]] += (
        style.smile
    )


def _spring(x: np.ndarray, hz: float) -> np.ndarray:
    """Critically damped second-order response to ``x`` sampled at GRID_HZ (semi-implicit Euler)."""
    omega, dt = 2 * np.pi * hz, 1.0 / GRID_HZ
    y, v = x[0], 0.0
    out = np.empty_like(x)
    for i, u in enumerate(x):
        v += dt * (omega * omega * (u - y) - 2 * omega * v)
        y += dt * v
        out[i] = y
    return out


def _jaw_dynamics(weights: np.ndarray, style: SpeakingStyle) -> None:
    """Smooth the jaw with a zero-lag spring; ``mouthClose`` keeps its share of the opening."""
    jaw = weights[:, J]
    share = np.divide(weights[:, CLOSE], jaw, out=np.zeros_like(jaw), where=jaw > 1e-6)
    hz = style.jaw_stiffness * np.sqrt(2)  # two passes: the pair has about this bandwidth
    smooth = _spring(_spring(jaw, hz)[::-1], hz)[::-1]
    weights[:, J] = smooth
    weights[:, CLOSE] = np.clip(share, 0, 1) * smooth


def _contact(phones: Sequence[TimedPhone], grid: np.ndarray, which: frozenset[str]) -> np.ndarray:
    """(N,) 1 during the phones in ``which``, with raised-cosine ramps just outside them."""
    out = np.zeros(len(grid))
    r = _CLOSURE_RAMP
    for p in phones:
        if p.phone not in which:
            continue
        rise = np.clip((grid - (p.start - r)) / r, 0, 1)
        fall = np.clip(((p.end + r) - grid) / r, 0, 1)
        out = np.maximum(out, 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall)))
    return out


def _lip_constraints(weights: np.ndarray, phones, grid: np.ndarray, style: SpeakingStyle) -> None:
    closure = _contact(phones, grid, BILABIALS)
    weights[:, CLOSE] = np.maximum(weights[:, CLOSE], closure * weights[:, J])
    weights[:, _OPENERS] *= (1 - closure)[:, None]
    for side in ("mouthPressLeft", "mouthPressRight"):
        weights[:, ALPHABETICAL_INDEX[side]] = np.maximum(
            weights[:, ALPHABETICAL_INDEX[side]], 0.15 * closure * style.lips
        )
    tuck = _contact(phones, grid, LABIODENTALS)
    roll = ALPHABETICAL_INDEX["mouthRollLower"]
    weights[:, roll] = np.maximum(weights[:, roll], 0.5 * tuck)
    weights[:, ALPHABETICAL_INDEX["mouthFunnel"]] *= 1 - 0.7 * tuck


def _prominence(phones, grid: np.ndarray, audio, sample_rate) -> np.ndarray:
    """(N,) prominence on the grid: from pitch and loudness, or from vowel length without audio."""
    if audio is not None and sample_rate and len(audio) > sample_rate * 0.05:
        pros = analyse(audio, sample_rate)
        value = np.interp(grid, pros.times, emphasis(pros))
    else:
        vowels = [p for p in phones if p.phone[0] in "AEIOU"]
        mean = np.mean([p.end - p.start for p in vowels]) if vowels else 1.0
        value = np.zeros(len(grid))
        for p in vowels:
            inside = (grid >= p.start) & (grid < p.end)
            value[inside] = max(0.0, (p.end - p.start) / mean - 0.8) * 2
    sigma = int(0.08 * GRID_HZ)
    kernel = np.exp(-0.5 * (np.arange(-3 * sigma, 3 * sigma + 1) / sigma) ** 2)
    return np.convolve(value, kernel / kernel.sum(), mode="same")


def _upper_face(weights, grid, prominence, style: SpeakingStyle, rng, duration: float) -> None:
    brow = np.clip(style.brow_gain * prominence, 0, 1)
    weights[:, ALPHABETICAL_INDEX["browInnerUp"]] = 0.8 * brow
    weights[:, ALPHABETICAL_INDEX["browOuterUpLeft"]] = 0.6 * brow * (1 + style.asymmetry)
    weights[:, ALPHABETICAL_INDEX["browOuterUpRight"]] = 0.6 * brow * (1 - style.asymmetry)
    for side in ("Left", "Right"):
        weights[:, ALPHABETICAL_INDEX["eyeWide" + side]] = 0.3 * brow
        weights[:, ALPHABETICAL_INDEX["eyeSquint" + side]] = 0.6 * style.smile
        weights[:, ALPHABETICAL_INDEX["cheekSquint" + side]] = 0.5 * style.smile

    blink = np.zeros(len(grid))
    t = rng.exponential(60.0 / style.blink_rate) * 0.5
    while t < duration:
        blink = np.maximum(blink, _blink_shape(grid - t))
        t += max(0.8, rng.exponential(60.0 / style.blink_rate))
    weights[:, ALPHABETICAL_INDEX["eyeBlinkLeft"]] = style.blink_depth * blink
    weights[:, ALPHABETICAL_INDEX["eyeBlinkRight"]] = style.blink_depth * blink * 0.97

    horizontal, vertical = _gaze(grid, rng, style.gaze, duration)
    weights[:, ALPHABETICAL_INDEX["eyeLookOutLeft"]] = weights[
        :, ALPHABETICAL_INDEX["eyeLookInRight"]
    ] = np.clip(horizontal, 0, 1)
    weights[:, ALPHABETICAL_INDEX["eyeLookInLeft"]] = weights[
        :, ALPHABETICAL_INDEX["eyeLookOutRight"]
    ] = np.clip(-horizontal, 0, 1)
    for side in ("Left", "Right"):
        weights[:, ALPHABETICAL_INDEX["eyeLookUp" + side]] = np.clip(vertical, 0, 1)
        weights[:, ALPHABETICAL_INDEX["eyeLookDown" + side]] = np.clip(-vertical, 0, 1)


def _blink_shape(t: np.ndarray) -> np.ndarray:
    """Eyelid closure of one blink starting at t = 0: 70 ms down, 40 ms shut, 150 ms up."""
    down, hold, up = 0.07, 0.04, 0.15
    out = np.zeros_like(t)
    a = (t >= 0) & (t < down)
    out[a] = 0.5 - 0.5 * np.cos(np.pi * t[a] / down)
    out[(t >= down) & (t < down + hold)] = 1.0
    c = (t >= down + hold) & (t < down + hold + up)
    out[c] = 0.5 + 0.5 * np.cos(np.pi * (t[c] - down - hold) / up)
    return out


def _gaze(grid, rng, amplitude: float, duration: float):
    """Piecewise-steady gaze with 60 ms saccades between fixations of 0.6-2.5 s."""
    h, v = np.zeros(len(grid)), np.zeros(len(grid))
    t, prev = 0.0, (0.0, 0.0)
    while t < duration:
        new = (rng.uniform(-1, 1) * amplitude, rng.uniform(-0.6, 0.6) * amplitude)
        step = np.clip((grid - t) / 0.06, 0, 1)
        ease = 0.5 - 0.5 * np.cos(np.pi * step)
        h = np.where(grid >= t, prev[0] + (new[0] - prev[0]) * ease, h)
        v = np.where(grid >= t, prev[1] + (new[1] - prev[1]) * ease, v)
        prev = new
        t += rng.uniform(0.6, 2.5)
    return h, v


__all__ = ["AnimatorOptions", "animate", "n_frames", "GRID_HZ", "HOP", "SILENCE"]
