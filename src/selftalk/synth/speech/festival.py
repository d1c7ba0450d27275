"""Festival with festvox voices: audio plus the end time of every segment of the utterance.

One ``festival -b`` run a call (about 0.2 s of start-up): a Scheme script synthesises the
text, saves the wave and writes one line per item of the ``Segment`` relation (name, end
time) and per item of the ``Word`` relation (name, start, end). Segment names are in the
voice's phone set, ``radio`` for the US voices (kal, ked, slt) or ``mrpa`` for British ones,
read from ``(Param.get 'PhoneSet)`` and mapped to ARPAbet.
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

DEBIAN_PACKAGES = "festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts"
# Short voice names → Festival voice (the Scheme function is ``voice_<name>``).
VOICES = {
    "kal": "kal_diphone",
    "ked": "ked_diphone",
    "slt": "cmu_us_slt_arctic_hts",
}
VOICE_ROOT = Path("/usr/share/festival/voices")
_TIMEOUT = 120

_SCRIPT = """
(voice_{voice})
(set! selftalk_utt (utt.synth (Utterance Text "{text}")))
(utt.save.wave selftalk_utt "{wav}" 'riff)
(set! selftalk_fd (fopen "{segs}" "w"))
(format selftalk_fd "phoneset %s\\n" (Param.get 'PhoneSet))
(mapcar
  (lambda (seg) (format selftalk_fd "seg %s %f\\n" (item.name seg) (item.feat seg 'end)))
  (utt.relation.items selftalk_utt 'Segment))
(mapcar
  (lambda (w)
    (format selftalk_fd "word %s %f %f\\n" (item.name w)
      (item.feat w 'R:SylStructure.daughter1.daughter1.segment_start)
      (item.feat w 'R:SylStructure.daughtern.daughtern.end)))
  (utt.relation.items selftalk_utt 'Word))
(fclose selftalk_fd)
"""


def executable() -> str:
    path = shutil.which("festival")
    if path is None:
        raise SpeechEngineError(f"festival is not installed (Debian packages {DEBIAN_PACKAGES})")
    return path


def installed_voices() -> list[str]:
    """Short names of the voices installed (``kal``, ``ked``, ``slt``, or a full voice dir name)."""
    dirs = {p.name for p in VOICE_ROOT.glob("*/*") if p.is_dir()} if VOICE_ROOT.is_dir() else set()
    short = {v: k for k, v in VOICES.items()}
    return sorted(short.get(d, d) for d in dirs)


def available() -> bool:
    return shutil.which("festival") is not None and bool(installed_voices())


def synthesize(
    text: str, voice: str = "kal", *, sample_rate: int | None = SAMPLE_RATE
) -> Utterance:
    """Speak ``text`` with Festival ``voice`` (kal, ked, slt or an installed voice's dir name)."""
    festival = executable()
    if voice not in installed_voices():
        raise SpeechEngineError(
            f"festival voice {voice!r} is not installed (installed: {', '.join(installed_voices()) or 'none'};"
            f" Debian packages {DEBIAN_PACKAGES})"
        )
    with tempfile.TemporaryDirectory(prefix="selftalk-festival-") as tmp:
        wav, segs, script = Path(tmp) / "out.wav", Path(tmp) / "segs.txt", Path(tmp) / "synth.scm"
        script.write_text(
            _SCRIPT.format(
                voice=VOICES.get(voice, voice), text=_scheme_string(text), wav=wav, segs=segs
            ),
            encoding="utf-8",
        )
        result = subprocess.run(
            [festival, "-b", str(script)], capture_output=True, text=True, timeout=_TIMEOUT
        )
        if result.returncode != 0 or not wav.is_file() or not segs.is_file():
            raise SpeechEngineError(
                f"festival failed on {text[:40]!r}: {(result.stderr or result.stdout).strip()[:200]}"
            )
        audio, native = soundfile.read(str(wav), dtype="float32")
        phoneset, ends, words = parse_segments(segs.read_text(encoding="utf-8"))
    segments, start = [], 0.0
    for symbol, end in ends:
        segments.extend(split_interval(festival_to_arpabet(symbol, phoneset), start, end))
        start = end
    extra = {
        "engine_phones": [{"phone": p, "end": round(e, 6)} for p, e in ends],
        "phoneset": phoneset,
        "words": words,
        "timing": "festival Segment relation",
    }
    return make_utterance(
        text=text,
        audio=audio,
        native_rate=int(native),
        segments=segments,
        voice=f"festival:{voice}",
        extra=extra,
        sample_rate=sample_rate,
    )


def parse_segments(listing: str) -> tuple[str, list[tuple[str, float]], list[dict]]:
    """Parse the script's listing → (phone set, [(segment, end s)], [{word, start, end}])."""
    phoneset, ends, words = "radio", [], []
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "phoneset":
            phoneset = parts[1]
        elif len(parts) == 3 and parts[0] == "seg":
            ends.append((parts[1], float(parts[2])))
        elif len(parts) == 4 and parts[0] == "word":
            words.append({"word": parts[1], "start": float(parts[2]), "end": float(parts[3])})
    return phoneset, ends, words


def _scheme_string(text: str) -> str:
    """Escape ``text`` for a double-quoted Scheme string (one line)."""
    return " ".join(text.replace("\\", " ").replace('"', " ").split())
