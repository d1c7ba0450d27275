"""espeak-ng through libespeak-ng (ctypes): audio plus phoneme events timed to the sample.

libespeak-ng is initialised once per process in synchronous mode with phoneme events in
IPA. Each ``espeakEVENT_PHONEME`` carries the IPA string of the phoneme that *starts* at its
sample position; a phoneme ends where the next event starts. Pauses come as empty strings
and map to ``SIL``. IPA strings are mapped to ARPAbet by
:func:`selftalk.synth.speech.phoneset.ipa_to_arpabet`.

We call the C library directly rather than the ``espeak-ng`` command because the command
prints phonemes without their times. libespeak-ng keeps global state, so calls are
serialised with a lock, and each utterance is synthesised in a forked child so that the
output depends only on the text and voice (see ``_Library.synth_isolated``); run several
processes to synthesise in parallel.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.config import SAMPLE_RATE
from selftalk.synth.phones import SILENCE, Utterance
from selftalk.synth.speech.base import SpeechEngineError, make_utterance
from selftalk.synth.speech.phoneset import ipa_to_arpabet, split_interval

DEBIAN_PACKAGES = "espeak-ng (libespeak-ng1, espeak-ng-data)"

# English dialects shipped with espeak-ng (the mbrola ones need mbrola and are left out);
# "en" is British English (espeak-ng 1.51 does not accept the name "en-gb").
DIALECTS = (
    "en-us",
    "en",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)
# Voice variants: male m1..m7, female f1..f5 (espeak-ng-data/voices/!v).
VARIANTS = tuple(f"m{i}" for i in range(1, 8)) + tuple(f"f{i}" for i in range(1, 6))

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_PHONEME_IPA = 0x0002
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_PARAM_RATE = 1
_PARAM_PITCH = 3
_DEFAULT_RATE = 175  # words a minute
_DEFAULT_PITCH = 50  # 0..100, relative to the voice's own pitch


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass
class _Capture:
    chunks: list
    phonemes: list  # (sample, ipa)
    words: list  # (sample, text_position, length)


class _Library:
    """The process-wide libespeak-ng handle (initialised on first use)."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self.lib = ctypes.CDLL(name)
        except OSError:
            raise SpeechEngineError(
                f"libespeak-ng is not installed (Debian package {DEBIAN_PACKAGES})"
            ) from None
        lib = self.lib
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        ]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
        ]
        flags = _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, flags)
        if self.sample_rate <= 0:
            raise SpeechEngineError(
                "libespeak-ng failed to initialise (is espeak-ng-data installed?)"
            )
        path = ctypes.c_char_p()
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        self.version = lib.espeak_Info(ctypes.byref(path)).decode()
        self.data_path = Path(path.value.decode()) if path.value else Path("/nonexistent")
        self.capture: _Capture | None = None
        self._callback = _Callback(self._on_audio)  # keep a reference: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self.lock = threading.Lock()

    def _on_audio(self, wav, count, events) -> int:
        cap = self.capture
        if cap is None:
            return 0
        if wav and count > 0:
            cap.chunks.append(np.ctypeslib.as_array(wav, (count,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                cap.phonemes.append(
                    (event.sample, bytes(event.id.string).decode("utf-8", "replace"))
                )
            elif event.type == _EVENT_WORD:
                cap.words.append((event.sample, event.text_position, event.length))
            i += 1
        return 0

    def set_voice(self, voice: str, rate: int, pitch: int) -> None:
        dialect, _, variant = voice.partition("+")
        # espeak-ng silently ignores an unknown variant, so check its file exists.
        known_variant = not variant or (self.data_path / "voices" / "!v" / variant).is_file()
        if not known_variant or self.lib.espeak_SetVoiceByName(voice.encode("utf-8")) != 0:
            raise SpeechEngineError(
                f"espeak-ng has no voice {voice!r} (try one of {', '.join(DIALECTS)}, "
                "with a variant +m1..+m7 or +f1..+f5)"
            )
        self.lib.espeak_SetParameter(_PARAM_RATE, int(rate), 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)

    def synth(self, text: str) -> _Capture:
        """Synthesise in this process (its internal state carries over to the next call)."""
        data = text.encode("utf-8") + b"\0"
        buffer = ctypes.create_string_buffer(data)
        self.capture = _Capture([], [], [])
        try:
            status = self.lib.espeak_Synth(
                buffer, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
            )
            if status != 0:
                raise SpeechEngineError(
                    f"espeak-ng failed to synthesise {text[:40]!r} (error {status})"
                )
            return self.capture
        finally:
            self.capture = None

    def synth_isolated(self, text: str, voice: str, rate: int, pitch: int) -> _Capture:
        """Synthesise in a forked child, so every call starts from the same engine state.

        libespeak-ng keeps state across utterances in function-level statics (the pitch
        flutter phase, the noise generator), so the same text comes out a few samples
        longer or shorter depending on what was said before. A child forked from a process
        that never synthesised starts from the state right after initialisation.
        """
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: synthesise, send the result, exit without cleanup
            os.close(read_fd)
            code = 0
            try:
                try:
                    self.set_voice(voice, rate, pitch)
                    cap = self.synth(text)
                    audio = np.concatenate(cap.chunks) if cap.chunks else np.zeros(0, np.int16)
                    header = {
                        "phonemes": cap.phonemes,
                        "words": cap.words,
                        "samples": int(audio.size),
                    }
                    body = audio.astype("<i2").tobytes()
                except SpeechEngineError as error:
                    header, body = {"error": str(error)}, b""
                blob = json.dumps(header).encode("utf-8")
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(struct.pack("<Q", len(blob)) + blob + body)
            except BaseException:
                code = 1
            os._exit(code)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or len(payload) < 8:
            raise SpeechEngineError(f"espeak-ng crashed on {text[:40]!r} with voice {voice!r}")
        size = struct.unpack("<Q", payload[:8])[0]
        header = json.loads(payload[8 : 8 + size].decode("utf-8"))
        if "error" in header:
            raise SpeechEngineError(header["error"])
        audio = np.frombuffer(payload[8 + size :], dtype="<i2").astype(np.int16)
        phonemes = [(int(a), str(b)) for a, b in header["phonemes"]]
        words = [tuple(int(v) for v in w) for w in header["words"]]
        return _Capture([audio], phonemes, words)


_library: _Library | None = None
_library_lock = threading.Lock()


def _get_library() -> _Library:
    global _library
    with _library_lock:
        if _library is None:
            _library = _Library()
        return _library


def available() -> bool:
    """True when libespeak-ng can be loaded and initialised."""
    try:
        _get_library()
    except SpeechEngineError:
        return False
    return True


def synthesize(
    text: str,
    voice: str = "en-us",
    *,
    rate: int = _DEFAULT_RATE,
    pitch: int = _DEFAULT_PITCH,
    sample_rate: int | None = SAMPLE_RATE,
) -> Utterance:
    """Speak ``text`` with espeak-ng ``voice`` (e.g. ``en-us+m3``); phones timed from its events.

    ``rate`` is in words a minute (espeak's default 175); ``pitch`` 0..100 (50 = the voice's
    own). ``extra`` holds ``words`` ([{word, start, end}]) and ``ipa`` ([{ipa, start, end}]).
    """
    lib = _get_library()
    with lib.lock:
        capture = lib.synth_isolated(text, voice, rate, pitch)
    native = lib.sample_rate
    audio = np.concatenate(capture.chunks) if capture.chunks else np.zeros(0, np.int16)
    audio = audio.astype(np.float32) / 32768.0
    duration = len(audio) / native
    ipa_segments = _phoneme_segments(capture.phonemes, native, duration)
    segments = [
        seg for ipa, s, e in ipa_segments for seg in split_interval(ipa_to_arpabet(ipa), s, e)
    ]
    extra = {
        "ipa": [
            {"ipa": ipa, "start": round(s, 6), "end": round(e, 6)} for ipa, s, e in ipa_segments
        ],
        "words": _word_timings(text, capture.words, ipa_segments, native),
        "timing": "espeak-ng phoneme events",
    }
    return make_utterance(
        text=text,
        audio=audio,
        native_rate=native,
        segments=segments,
        voice=f"espeak:{voice}",
        extra=extra,
        sample_rate=sample_rate,
    )


def phonemize(word: str, voice: str = "en-us") -> tuple[str, ...]:
    """ARPAbet pronunciation of ``word`` (or a short phrase) from espeak-ng's letter-to-sound.

    Used for words missing from the pocketsphinx dictionary. Synthesises the word and keeps
    its phonemes, so it agrees with what :func:`synthesize` says.
    """
    lib = _get_library()
    with lib.lock:
        capture = lib.synth_isolated(word, voice, _DEFAULT_RATE, _DEFAULT_PITCH)
    phones = [p for _, ipa in capture.phonemes for p in ipa_to_arpabet(ipa) if p != SILENCE]
    # espeak writes "-er-" before a vowel as /ɚɹ/; CMUdict writes ER alone ("asterisk").
    return tuple(p for k, p in enumerate(phones) if not (p == "R" and k and phones[k - 1] == "ER"))


def _phoneme_segments(events: list, rate: int, duration: float) -> list[tuple[str, float, float]]:
    """(sample, ipa) start events → (ipa, start s, end s); an empty ipa is a pause."""
    out = []
    for k, (sample, ipa) in enumerate(events):
        start = sample / rate
        end = events[k + 1][0] / rate if k + 1 < len(events) else duration
        if end > start:
            out.append((ipa, start, end))
    return out


def _word_timings(text: str, words: list, segments: list, rate: int) -> list[dict]:
    """A word spans the non-pause phonemes from its event up to the next word's event.

    espeak-ng emits a word event a little before the word's first phoneme, so the word's
    times come from its phonemes, not from the event.
    """
    out = []
    starts = [sample / rate for sample, _, _ in words]
    for k, (_, position, length) in enumerate(words):
        limit = starts[k + 1] if k + 1 < len(starts) else float("inf")
        spans = [(s, e) for ipa, s, e in segments if starts[k] <= s < limit and ipa.strip()]
        if spans:
            word = text[position - 1 : position - 1 + length]
            out.append(
                {"word": word, "start": round(spans[0][0], 6), "end": round(spans[-1][1], 6)}
            )
    return out
