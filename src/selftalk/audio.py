"""Any audio file → 16 kHz mono float32, the input every speech model here takes.

Decoding goes through libsndfile (``soundfile``: wav, flac, ogg, mp3) and falls back to
FFmpeg (``av``: m4a, aac, flv, mp4, webm, …); resampling uses ``soxr`` at its highest quality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from selftalk.config import SAMPLE_RATE  # noqa: F401 (the one definition; importable here)
from selftalk.errors import InputError


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode ``path``, mix to mono and resample: returns (S,) float32 at ``sample_rate``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such audio file")
    samples, rate = _decode(path)
    if samples.size == 0:
        raise InputError(path, "the file contains no audio samples")
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    if not np.all(np.isfinite(mono)):
        raise InputError(path, "the audio contains NaN or infinite samples")
    return resample(mono.astype(np.float32), rate, sample_rate)


def resample(samples: np.ndarray, rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resample (S,) float32 audio from ``rate`` to ``target_rate`` with soxr's high-quality
    recipe (``HQ``): what ``librosa.load(path, sr=16000)`` does by default (librosa >= 0.10), and
    so what the SelfTalk release's demo, FaceFormer and CodeTalker feed their models. Another
    resampler changes a full-size model's vertices by 1e-3 of the motion scale or more
    (docs/deploy.md, Fidelity)."""
    if rate == target_rate:
        return np.ascontiguousarray(samples, dtype=np.float32)
    import soxr

    return soxr.resample(samples, rate, target_rate, quality="HQ").astype(np.float32)


def normalize(samples: np.ndarray) -> np.ndarray:
    """Zero mean and unit variance, as wav2vec 2.0 feature extractors do (eps 1e-7)."""
    samples = np.asarray(samples, dtype=np.float32)
    return ((samples - samples.mean()) / np.sqrt(samples.var() + 1e-7)).astype(np.float32)


def speech_like(seconds: float, seed: int = 0) -> np.ndarray:
    """(S,) speech-like 16 kHz test audio: a voiced buzz with a syllable-rate envelope, and
    noise (parity checks and benchmarks, where no recording is at hand)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * SAMPLE_RATE))) / SAMPLE_RATE
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    voiced = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / SAMPLE_RATE)) * (
        0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
    )
    return (0.2 * voiced + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


def _decode(path: Path) -> tuple[np.ndarray, int]:
    import soundfile

    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=False)
        return samples, int(rate)
    except Exception:  # not a format libsndfile knows: let FFmpeg try
        pass
    try:
        return _decode_with_ffmpeg(path)
    except Exception as error:
        raise InputError(path, f"not a readable audio file ({_first_line(error)})") from None


def _decode_with_ffmpeg(path: Path) -> tuple[np.ndarray, int]:
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise ValueError("no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.rate or SAMPLE_RATE)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
        rate = resampler.rate
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return samples.astype(np.float32), int(rate)


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
