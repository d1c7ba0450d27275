"""flite (CMU Flite 2.x command line): audio plus segment end times from ``-psdur``.

``flite -psdur`` prints ``phone:end`` pairs in the ``radio`` phone set (ARPAbet in lower
case plus ``pau``, ``ax``…). For the clustergen voices (awb, rms, slt) the last end time is
the audio duration to the sample. The diphone voices (kal, kal16) print times that run
about 2 % past the end of their waveform; forced alignment shows the times are right and
the final pause is cut short, so they are used as they are and clipped to the audio
(scaling them to the duration doubled the boundary error: 22 ms against 9 ms median).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import soundfile

from selftalk.config import SAMPLE_RATE
from selftalk.synth.phones import Utterance
from selftalk.synth.speech.base import SpeechEngineError, make_utterance
from selftalk.synth.speech.phoneset import festival_to_arpabet, split_interval

DEBIAN_PACKAGES = "flite"
VOICES = ("kal", "kal16", "awb", "rms", "slt")
_TIMEOUT = 120


def executable() -> str:
    """Path of the ``flite`` command; raises SpeechEngineError when it is missing."""
    path = shutil.which("flite")
    if path is None:
        raise SpeechEngineError(f"flite is not installed (Debian package {DEBIAN_PACKAGES})")
    return path


def available() -> bool:
    return shutil.which("flite") is not None


def synthesize(
    text: str, voice: str = "slt", *, sample_rate: int | None = SAMPLE_RATE
) -> Utterance:
    """Speak ``text`` with flite ``voice`` (kal, kal16, awb, rms or slt)."""
    if voice not in VOICES:
        raise SpeechEngineError(f"flite has no voice {voice!r} (one of {', '.join(VOICES)})")
    with tempfile.TemporaryDirectory(prefix="selftalk-flite-") as tmp:
        wav_path = Path(tmp) / "out.wav"
        # -t speaks the text as one utterance, so -psdur's times run on across sentences
        # (-f would restart them at 0 for every sentence).
        cmd = [
            executable(),
            "-voice",
            voice,
            "-psdur",
            "-t",
            " ".join(text.split()),
            "-o",
            str(wav_path),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=_TIMEOUT)
        if result.returncode != 0 or not wav_path.is_file():
            raise SpeechEngineError(f"flite failed on {text[:40]!r}: {result.stderr.strip()[:200]}")
        audio, native = soundfile.read(str(wav_path), dtype="float32")
    ends = parse_psdur(result.stdout)
    segments, start = [], 0.0
    for symbol, end in ends:
        segments.extend(split_interval(festival_to_arpabet(symbol, "radio"), start, end))
        start = end
    extra = {
        "engine_phones": [{"phone": p, "end": round(e, 6)} for p, e in ends],
        "timing": "flite -psdur",
    }
    return make_utterance(
        text=text,
        audio=audio,
        native_rate=int(native),
        segments=segments,
        voice=f"flite:{voice}",
        extra=extra,
        sample_rate=sample_rate,
    )


def parse_psdur(output: str) -> list[tuple[str, float]]:
    """``"pau:0.220 b:0.309 …"`` → [("pau", 0.22), ("b", 0.309), …] (end times in seconds)."""
    pairs = []
    for token in output.split():
        name, sep, end = token.rpartition(":")
        if not sep:
            continue
        try:
            pairs.append((name, float(end)))
        except ValueError:
            continue
    return pairs
