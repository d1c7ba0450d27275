"""Each TTS engine: 16 kHz audio with ARPAbet phones that tile it and match what was said."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import require_executable

from selftalk.synth.phones import PHONES, SILENCE
from selftalk.synth.speech import SpeechEngineError, list_voices, parse_voice, synthesize
from selftalk.synth.speech.timing import check_phones

TEXT = "Bob met a pop star."
# engine → the executable its Debian package installs (libespeak-ng comes with espeak-ng)
EXECUTABLES = {"espeak": "espeak-ng", "flite": "flite", "festival": "festival"}
VOICES = [
    "espeak:en-us",
    "espeak:en-us+m3",
    "espeak:en+f2",
    "espeak:en-gb-scotland+m1",
    "flite:kal",
    "flite:kal16",
    "flite:awb",
    "flite:rms",
    "flite:slt",
    "festival:kal",
    "festival:ked",
    "festival:slt",
]


def _synth(voice: str, text: str = TEXT):
    require_executable(EXECUTABLES[parse_voice(voice)[0]])
    return synthesize(text, voice)


def _rms_db(audio: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(audio, dtype=np.float64)) + 1e-12)


@pytest.mark.parametrize("voice", VOICES)
def test_phones_tile_the_audio_and_hold_the_bilabials(voice):
    utt = _synth(voice)
    assert utt.sample_rate == 16_000 and utt.audio.dtype == np.float32 and utt.audio.ndim == 1
    assert utt.voice == voice and utt.source == "tts" and utt.text == TEXT
    assert 0.8 < utt.duration < 4.0
    check_phones(utt.phones, utt.duration)  # starts at 0, ends at the duration, no gaps
    starts = [p.start for p in utt.phones]
    assert starts == sorted(starts) and all(p.end > p.start for p in utt.phones)
    assert all(p.phone in PHONES for p in utt.phones)
    spoken = [p.phone for p in utt.phones if p.phone != SILENCE]
    assert {"B", "M", "P", "S", "T"} <= set(spoken)
    assert spoken[0] == "B" and spoken.count("P") >= 2  # "Bob … pop"
    # the speech phones carry the energy: silence is at least 15 dB quieter
    speech = np.concatenate(
        [
            utt.audio[int(p.start * 16000) : int(p.end * 16000)]
            for p in utt.phones
            if p.phone != SILENCE
        ]
    )
    assert _rms_db(speech) > -40
    silences = [p for p in utt.phones if p.phone == SILENCE and p.end - p.start > 0.05]
    if silences:
        quiet = np.concatenate(
            [
                utt.audio[int((p.start + 0.02) * 16000) : int((p.end - 0.02) * 16000)]
                for p in silences
            ]
        )
        assert _rms_db(quiet) < _rms_db(speech) - 15


@pytest.mark.parametrize("voice", ["espeak:en-us+f3", "flite:slt", "festival:ked"])
def test_deterministic(voice):
    a, b = _synth(voice), _synth(voice)
    assert np.array_equal(a.audio, b.audio)
    assert a.phones == b.phones


def test_espeak_does_not_depend_on_what_was_said_before():
    first = _synth("espeak:en-us+m3")
    _synth("espeak:en-us+m3", "Something entirely different, and much longer than before.")
    assert np.array_equal(first.audio, _synth("espeak:en-us+m3").audio)


def test_word_timings_follow_the_text():
    for voice in ("espeak:en-us", "festival:kal"):
        utt = _synth(voice)
        words = utt.extra["words"]
        assert [w["word"].lower() for w in words] == ["bob", "met", "a", "pop", "star"]
        assert all(w["start"] < w["end"] for w in words)
        assert all(a["end"] <= b["start"] + 1e-6 for a, b in zip(words, words[1:]))
        assert words[-1]["end"] <= utt.duration


def test_native_rate_is_recorded():
    assert _synth("espeak:en-us").extra["native_sample_rate"] == 22_050
    assert _synth("flite:kal").extra["native_sample_rate"] == 8_000
    assert _synth("festival:slt").extra["native_sample_rate"] == 32_000


def test_list_voices():
    for exe in EXECUTABLES.values():
        require_executable(exe)
    voices = list_voices()
    assert len(voices) == len(set(voices)) >= 8 * 13 + 5 + 3
    assert {
        "espeak:en-us+m3",
        "espeak:en+f5",
        "flite:kal",
        "flite:slt",
        "festival:ked",
        "festival:slt",
    } <= set(voices)
    assert list_voices("flite") == [
        "flite:kal",
        "flite:kal16",
        "flite:awb",
        "flite:rms",
        "flite:slt",
    ]
    assert len(list_voices("espeak", variants=False)) == 8


@pytest.mark.parametrize(
    "voice",
    ["espeak:en-us+zz", "espeak:xx-nowhere", "flite:nobody", "festival:nobody", "nope:x", "kal"],
)
def test_bad_voice_is_a_clear_error(voice):
    with pytest.raises(SpeechEngineError, match="voice|engine"):
        synthesize(TEXT, voice)


def test_empty_text_is_an_error():
    with pytest.raises(SpeechEngineError):
        synthesize("  ", "flite:slt")


def test_missing_engine_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SpeechEngineError, match="Debian package"):
        synthesize(TEXT, "flite:slt")
    with pytest.raises(SpeechEngineError, match="Debian package"):
        synthesize(TEXT, "festival:kal")
