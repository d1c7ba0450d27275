"""Any audio file → 16 kHz mono float32, the input every speech model here takes.

Decoding goes through libsndfile (``soundfile``: wav, flac, ogg, mp3) and falls back to
FFmpeg (``av``: m4a, aac, flv, mp4, webm, …); resampling uses ``soxr``'s high-quality recipe
(``HQ``, as ``librosa.load`` does: see :func:`resample`). Files are decoded, mixed to mono and resampled block by block, so memory holds the result
(about 230 MB an hour at 16 kHz) and one block, whatever the file's format or its header claims.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from selftalk.config import SAMPLE_RATE  # noqa: F401 (the one definition; importable here)
from selftalk.errors import InputError

_BLOCK = 1 << 16  # frames decoded at a time
QUALITY = "HQ"  # soxr's recipe, one-shot and block by block (see resample)
_RATES = (1_000, 768_000)  # sample rates accepted from a file


def load_audio(
    path: str | Path,
    sample_rate: int = SAMPLE_RATE,
    *,
    max_seconds: float | None = None,
    why: str = "",
) -> np.ndarray:
    """Decode ``path``, mix to mono and resample: returns (S,) float32 at ``sample_rate``.

    ``max_seconds``: refuse audio longer than this (``why`` says why, in the message) as soon
    as decoding passes it, before the rest of the file is read.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a folder, not an audio file")
    if not path.is_file():
        raise InputError(path, "no such audio file")
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty (0 bytes)")
    rate, blocks = _open(path)
    if not _RATES[0] <= rate <= _RATES[1]:
        raise InputError(path, f"unsupported sample rate {rate} Hz")
    stream = None
    if rate != sample_rate:
        import soxr

        stream = soxr.ResampleStream(rate, sample_rate, 1, dtype="float32", quality=QUALITY)
    out: list[np.ndarray] = []
    n_in = 0
    try:
        for block in blocks:
            if not np.isfinite(block).all():
                raise InputError(path, "the audio contains NaN or infinite samples")
            n_in += len(block)
            if max_seconds is not None and n_in > max_seconds * rate:
                raise InputError(path, f"the audio lasts more than {_duration(max_seconds)}{why}")
            out.append(stream.resample_chunk(block) if stream is not None else block.copy())
        if stream is not None:
            out.append(stream.resample_chunk(np.zeros(0, np.float32), last=True))
    except InputError:
        raise
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - a damaged file fails in many ways mid-stream
        raise InputError(path, f"not a readable audio file ({_first_line(error)})") from None
    finally:
        blocks.close()
    if n_in == 0:
        raise InputError(path, "the file contains no audio samples")
    return np.concatenate(out).astype(np.float32, copy=False)


def resample(samples: np.ndarray, rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resample (S,) float32 audio from ``rate`` to ``target_rate`` with soxr's high-quality
    recipe (``HQ``): what ``librosa.load(path, sr=16000)`` does by default (librosa >= 0.10), and
    so what the SelfTalk release's demo, FaceFormer and CodeTalker feed their models. Another
    resampler changes a full-size model's vertices by 1e-3 of the motion scale or more
    (docs/deploy.md, Fidelity)."""
    if rate == target_rate:
        return np.ascontiguousarray(samples, dtype=np.float32)
    import soxr

    return soxr.resample(samples, rate, target_rate, quality=QUALITY).astype(np.float32)


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


def _open(path: Path) -> tuple[int, Iterator[np.ndarray]]:
    """(sample rate, generator of (n,) float32 mono blocks) of ``path``."""
    import soundfile

    try:
        f = soundfile.SoundFile(str(path))
    except Exception:  # noqa: BLE001 - not a format libsndfile knows: let FFmpeg try
        try:
            return _open_with_ffmpeg(path)
        except InputError:
            raise
        except Exception as error:  # noqa: BLE001
            raise InputError(path, f"not a readable audio file ({_first_line(error)})") from None
    return int(f.samplerate), _soundfile_blocks(f)


def _soundfile_blocks(f) -> Iterator[np.ndarray]:
    with f:
        for block in f.blocks(_BLOCK, dtype="float32", always_2d=True):
            yield block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]


def _open_with_ffmpeg(path: Path) -> tuple[int, Iterator[np.ndarray]]:
    import av

    container = av.open(str(path))
    try:
        if not container.streams.audio:
            raise InputError(path, "has no audio stream")
        stream = container.streams.audio[0]
        rate = int(stream.rate or SAMPLE_RATE)
    except BaseException:
        container.close()
        raise
    return rate, _ffmpeg_blocks(container, stream, rate)


def _ffmpeg_blocks(container, stream, rate: int) -> Iterator[np.ndarray]:
    import av

    with container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                yield out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        for out in resampler.resample(None):
            yield out.to_ndarray().reshape(-1).astype(np.float32, copy=False)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:g} s"


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]
