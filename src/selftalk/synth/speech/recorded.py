"""Real recorded speech: the Asterisk English prompts, aligned to their transcripts.

Debian ships the prompts of the Asterisk PBX read by one female voice actor (Allison Smith),
CC-BY-SA-3.0:

- ``asterisk-core-sounds-en-g722``: 568 prompts in G.722 (16 kHz, 50–7000 Hz). Preferred:
  the recordings are wideband (fricatives have energy above 4 kHz), and pocketsphinx's
  model is trained on 16 kHz speech.
- ``asterisk-core-sounds-en-wav``: the same prompts as 8 kHz PCM (used when G.722 is absent).
- ``asterisk-core-sounds-en``: ``core-sounds-en.txt``, one ``name: transcript`` a line.

Each prompt is force-aligned (pocketsphinx) to its transcript; prompts that are not speech
(``[beep]``, silences) or whose alignment fails or looks implausible are skipped with a reason.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.audio import SAMPLE_RATE, resample
from selftalk.errors import InputError
from selftalk.synth.phones import SILENCE, Utterance
from selftalk.synth.speech.align import AlignmentError, force_align
from selftalk.synth.speech.base import SpeechEngineError

DEBIAN_PACKAGES = (
    "asterisk-core-sounds-en asterisk-core-sounds-en-g722 (or asterisk-core-sounds-en-wav)"
)
LICENCE = "CC-BY-SA-3.0"
ATTRIBUTION = "Asterisk core sound prompts (English), recorded by Allison Smith; Digium, Inc."
VOICE = "recorded:asterisk"

SOUND_DIRS = (
    Path("/usr/share/asterisk/sounds/en_US_f_Allison"),
    Path("/usr/share/asterisk/sounds/en_US"),
    Path("/usr/share/asterisk/sounds/en"),
)
TRANSCRIPT_FILES = (
    Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"),
    Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt"),
    Path("/usr/share/asterisk/sounds/en/core-sounds-en.txt"),
)
FORMATS = ("g722", "wav")  # in order of preference

# An alignment in which most phones sit at the model's 30 ms minimum is squeezed: the
# transcript says more than the audio holds.
_MIN_PHONE = 0.031
_MAX_SQUEEZED_SHARE = 0.5
# Acoustic log-likelihood a frame: the prompts' median is about -12 and 99 % of them score
# above -21; below -28.5 the transcript does not match what is said (e.g. "H.323" read as
# "H three two three" against our "three hundred twenty three").
_MIN_SCORE_PER_FRAME = -28.5


@dataclass(frozen=True, kw_only=True)
class Prompt:
    """One recorded prompt: ``name`` (e.g. ``digits/7``), its transcript and audio file."""

    name: str
    text: str
    path: Path

    @property
    def is_speech(self) -> bool:
        """False for prompts whose transcript only describes a sound (``[beep]``)."""
        from selftalk.synth.text import words_for_alignment

        return bool(words_for_alignment(self.text))


def find_sound_dir(root: str | Path | None = None) -> Path:
    """The directory holding the English prompts; raises SpeechEngineError when absent."""
    candidates = [Path(root)] if root is not None else list(SOUND_DIRS)
    for candidate in candidates:
        if candidate.is_dir() and any(any(candidate.glob(f"*.{fmt}")) for fmt in FORMATS):
            return candidate
    raise SpeechEngineError(
        f"the Asterisk English prompts are not installed (Debian packages {DEBIAN_PACKAGES})"
    )


def read_transcripts(path: str | Path | None = None) -> dict[str, str]:
    """``{prompt name: transcript}`` from ``core-sounds-en.txt`` (plain or gzipped)."""
    if path is None:
        path = next((p for p in TRANSCRIPT_FILES if p.is_file()), None)
        if path is None:
            raise SpeechEngineError(
                "the Asterisk prompt transcripts are not installed (Debian package asterisk-core-sounds-en)"
            )
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, gzip.BadGzipFile) as error:
        raise InputError(path, f"cannot read the transcripts ({error})") from None
    out = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line.startswith(";") or ":" not in line:
            continue
        name, text = line.split(":", 1)
        out[name.strip()] = " ".join(text.split())
    return out


def transcripts(path: str | Path | None = None, *, speech_only: bool = True) -> list[str]:
    """The transcripts as sentence texts (those that are speech), sorted by prompt name."""
    texts = read_transcripts(path)
    prompts_ = [Prompt(name=n, text=t, path=Path()) for n, t in sorted(texts.items())]
    return [p.text for p in prompts_ if p.is_speech or not speech_only]


def list_prompts(
    root: str | Path | None = None, transcript_file: str | Path | None = None
) -> list[Prompt]:
    """Prompts that have both audio and a transcript, sorted by name (best format first)."""
    sound_dir = find_sound_dir(root)
    texts = read_transcripts(transcript_file)
    out = []
    for name, text in sorted(texts.items()):
        for fmt in FORMATS:
            path = sound_dir / f"{name}.{fmt}"
            if path.is_file():
                out.append(Prompt(name=name, text=text, path=path))
                break
    return out


def load_prompt_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a prompt (G.722 through FFmpeg, WAV through libsndfile) → (S,) float32."""
    path = Path(path)
    if path.suffix == ".g722":
        audio, rate = _decode_g722(path)
    else:
        import soundfile

        audio, rate = soundfile.read(str(path), dtype="float32")
        if audio.ndim == 2:
            audio = audio.mean(axis=1)
    if audio.size == 0:
        raise InputError(path, "no audio samples")
    return resample(audio.astype(np.float32), int(rate), sample_rate)


def _decode_g722(path: Path) -> tuple[np.ndarray, int]:
    import av

    try:
        with av.open(str(path), format="g722") as container:
            stream = container.streams.audio[0]
            chunks = [frame.to_ndarray().reshape(-1) for frame in container.decode(stream)]
            rate = stream.rate
    except Exception as error:  # FFmpeg's errors vary; report them as bad input
        raise InputError(path, f"not a readable G.722 file ({error})") from None
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return samples.astype(np.float32) / 32768.0, int(rate)


def load_recorded(prompt: Prompt, *, sample_rate: int = SAMPLE_RATE) -> Utterance:
    """Decode and force-align one prompt → ``Utterance(source="recorded")``.

    Raises AlignmentError (a SpeechEngineError) with the reason when the prompt is not
    speech, cannot be aligned, or its alignment looks implausible.
    """
    if not prompt.is_speech:
        raise AlignmentError(f"{prompt.name}: not speech ({prompt.text})")
    audio = load_prompt_audio(prompt.path, sample_rate)
    result = force_align(audio, sample_rate, prompt.text)
    speech = [p for p in result.phones if p.phone != SILENCE]
    squeezed = sum(p.end - p.start < _MIN_PHONE for p in speech) / max(len(speech), 1)
    if squeezed > _MAX_SQUEEZED_SHARE:
        raise AlignmentError(
            f"{prompt.name}: implausible alignment ({squeezed:.0%} of phones at the 30 ms minimum)"
        )
    if result.score_per_frame < _MIN_SCORE_PER_FRAME:
        raise AlignmentError(
            f"{prompt.name}: implausible alignment (score {result.score_per_frame:.1f} a frame, "
            f"below {_MIN_SCORE_PER_FRAME}: the transcript may not match the audio)"
        )
    extra = {
        "prompt": prompt.name,
        "file": prompt.path.name,
        "native_sample_rate": 16_000 if prompt.path.suffix == ".g722" else 8_000,
        "words": [{"word": w.word, "start": w.start, "end": w.end} for w in result.words],
        "added_words": result.added_words,
        "score_per_frame": result.score_per_frame,
        "timing": "pocketsphinx forced alignment",
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
    }
    return Utterance(
        text=prompt.text,
        audio=audio,
        sample_rate=sample_rate,
        phones=result.phones,
        voice=VOICE,
        source="recorded",
        extra=extra,
    )


def iter_recorded(
    prompts: list[Prompt] | None = None, *, sample_rate: int = SAMPLE_RATE
) -> Iterator[tuple[Prompt, Utterance | None, str]]:
    """Align every prompt: yields ``(prompt, utterance, "")`` or ``(prompt, None, reason)``."""
    for prompt in list_prompts() if prompts is None else prompts:
        try:
            yield prompt, load_recorded(prompt, sample_rate=sample_rate), ""
        except (AlignmentError, InputError) as error:
            yield prompt, None, str(error)
