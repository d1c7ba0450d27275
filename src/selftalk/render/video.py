"""MP4 writing: H.264 video and AAC audio in one file through PyAV (FFmpeg bundled in its wheel).

The audio is cut into one chunk a video frame (sample ``round(i * rate / fps)`` onwards), so
the two streams stay in step and end together: audio beyond the last frame is dropped and
missing audio is filled with silence.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from selftalk import __version__
from selftalk.checks import frame_rate
from selftalk.config import SAMPLE_RATE
from selftalk.errors import ConfigError
from selftalk.io import atomic_path
from selftalk.outputs import MARK


@dataclass(kw_only=True)
class VideoOptions:
    """How frames and audio are encoded."""

    crf: int = 18
    """x264 constant rate factor: 0 lossless, 18 visually lossless, 23 x264's default."""
    preset: str = "veryfast"
    """x264 speed/size trade-off (ultrafast ... veryslow)."""
    audio_bitrate: int = 128_000
    """AAC bit rate in bits per second."""

    def validate(self) -> VideoOptions:
        if not 0 <= self.crf <= 51:
            raise ConfigError(f"crf must be in [0, 51], got {self.crf}")
        presets = (
            "ultrafast",
            "superfast",
            "veryfast",
            "faster",
            "fast",
            "medium",
            "slow",
            "slower",
            "veryslow",
        )
        if self.preset not in presets:
            raise ConfigError(f"preset must be one of {', '.join(presets)}, got {self.preset!r}")
        if self.audio_bitrate < 8000:
            raise ConfigError(f"audio_bitrate must be at least 8000, got {self.audio_bitrate}")
        return self


@dataclass(frozen=True, kw_only=True)
class VideoInfo:
    """What :func:`write_video` wrote."""

    path: Path
    frames: int
    fps: float
    width: int
    height: int
    duration_s: float
    audio_rate: int | None
    seconds: float
    """Wall time spent producing and encoding the frames."""


def fps_fraction(fps: float) -> Fraction:
    """25 -> 25/1, 29.97 -> 30000/1001: the exact rate FFmpeg should write."""
    return Fraction(frame_rate(fps)).limit_denominator(1001)


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    *,
    fps: float,
    audio: np.ndarray | None = None,
    audio_rate: int = SAMPLE_RATE,
    options: VideoOptions | None = None,
) -> VideoInfo:
    """Encode (H, W, 3) uint8 ``frames`` (and mono float32 ``audio`` at ``audio_rate``) to MP4.

    H and W must be even (yuv420p). The file appears only when complete.
    """
    import av

    options = (options or VideoOptions()).validate()
    rate = fps_fraction(fps)
    path = Path(path)
    start = time.perf_counter()
    if audio is not None:
        audio = np.ascontiguousarray(np.asarray(audio, dtype=np.float32).reshape(-1))
    count, size = 0, (0, 0)
    with (
        atomic_path(path) as tmp,
        av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        out.metadata["comment"] = f"{MARK} {__version__}"  # so a later run may replace it
        video = None
        sound = None
        if audio is not None:
            sound = out.add_stream("aac", rate=int(audio_rate), layout="mono")
            sound.bit_rate = int(options.audio_bitrate)
        for frame in frames:
            if video is None:
                size = (frame.shape[1], frame.shape[0])
                if size[0] % 2 or size[1] % 2:
                    raise ConfigError(f"frame size {size} must be even for H.264")
                video = out.add_stream(
                    "libx264",
                    rate=rate,
                    options={"crf": str(options.crf), "preset": options.preset},
                )
                video.width, video.height = size
                video.pix_fmt = "yuv420p"
                video.codec_context.time_base = 1 / rate
            picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            picture.pts = count
            picture.time_base = 1 / rate
            out.mux(video.encode(picture))
            if sound is not None:
                _encode_audio(out, sound, audio, audio_rate, rate, count)
            count += 1
        if video is None:
            raise ConfigError("no frames to encode")
        out.mux(video.encode(None))
        if sound is not None:
            out.mux(sound.encode(None))
    duration = float(count / rate)
    return VideoInfo(
        path=path,
        frames=count,
        fps=float(rate),
        width=size[0],
        height=size[1],
        duration_s=duration,
        audio_rate=int(audio_rate) if audio is not None else None,
        seconds=time.perf_counter() - start,
    )


def _encode_audio(out, stream, audio: np.ndarray, audio_rate: int, rate: Fraction, i: int) -> None:
    """Encode the audio samples that play during video frame ``i`` (silence past the end)."""
    import av

    lo = round(i * audio_rate / rate)
    hi = round((i + 1) * audio_rate / rate)
    if hi <= lo:
        return
    chunk = audio[lo:hi]
    if len(chunk) < hi - lo:
        chunk = np.concatenate([chunk, np.zeros(hi - lo - len(chunk), np.float32)])
    frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
    frame.sample_rate = int(audio_rate)
    frame.pts = lo
    frame.time_base = Fraction(1, int(audio_rate))
    out.mux(stream.encode(frame))
