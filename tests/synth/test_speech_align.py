"""Forced alignment, phone recognition and the recorded Asterisk prompts (pocketsphinx)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ON_CI, require_executable, require_module

from selftalk.synth.phones import SILENCE
from selftalk.synth.speech import AlignmentError, align, force_align, recognize_phones, synthesize
from selftalk.synth.speech.compare import boundary_errors, frame_agreement, speech_agreement
from selftalk.synth.speech.timing import check_phones

SENTENCE = "Please put the velvet rope beside the pumpkin in the garden."


@pytest.fixture(scope="module")
def slt():
    require_module("pocketsphinx")
    require_executable("flite")
    return synthesize(SENTENCE, "flite:slt")


def test_align_recovers_the_engine_timing(slt):
    phones = align(slt.audio, slt.sample_rate, slt.text)
    check_phones(phones, slt.duration)
    errors = boundary_errors(slt.phones, phones)
    assert np.median(errors) < 0.025  # measured ≈ 10 ms
    assert np.mean(errors < 0.05) > 0.8
    assert frame_agreement(slt.phones, phones) > 0.7
    assert speech_agreement(slt.phones, phones) > 0.9


def test_align_words_and_espeak_timing():
    require_module("pocketsphinx")
    require_executable("espeak-ng")
    utt = synthesize(SENTENCE, "espeak:en-us+m3")
    result = force_align(utt.audio, utt.sample_rate, utt.text)
    assert [w.word for w in result.words] == SENTENCE.lower().rstrip(".").split()
    engine = utt.extra["words"]
    edges = [abs(a["start"] - b.start) for a, b in zip(engine, result.words)]
    edges += [abs(a["end"] - b.end) for a, b in zip(engine, result.words)]
    assert np.median(edges) < 0.04  # measured ≈ 14 ms
    assert result.words[0].pronunciation == "P L IY Z"


def test_align_resamples_any_rate(slt):
    import soxr

    audio_8k = soxr.resample(slt.audio, 16_000, 8_000).astype(np.float32)
    phones = align(audio_8k, 8_000, slt.text)
    assert phones[-1].end == pytest.approx(len(audio_8k) / 8_000)
    assert np.median(boundary_errors(slt.phones, phones)) < 0.03


def test_out_of_dictionary_words_use_espeak(slt):
    require_executable("espeak-ng")
    utt = synthesize("The zorbleflax met Bob.", "flite:slt")
    result = force_align(utt.audio, utt.sample_rate, utt.text)
    assert "zorbleflax" in result.added_words
    assert [w.word for w in result.words] == ["the", "zorbleflax", "met", "bob"]


def test_align_errors(slt):
    with pytest.raises(AlignmentError, match="no words"):
        align(slt.audio, 16_000, "[beep]")
    with pytest.raises(AlignmentError, match="empty"):
        align(np.zeros(0, np.float32), 16_000, "hello")
    with pytest.raises(AlignmentError):  # far more text than 0.2 s of audio can hold
        align(slt.audio[:3200], 16_000, SENTENCE * 3)


def test_recognize_phones_finds_speech_where_the_engine_spoke(slt):
    phones = recognize_phones(slt.audio, slt.sample_rate)
    check_phones(phones, slt.duration)
    assert sum(p.phone != SILENCE for p in phones) >= 15
    assert speech_agreement(slt.phones, phones) > 0.8


# --- recorded speech ------------------------------------------------------------------


def _prompts():
    require_module("pocketsphinx")
    from selftalk.synth.speech import SpeechEngineError, recorded

    try:
        return recorded, {p.name: p for p in recorded.list_prompts()}
    except SpeechEngineError as error:
        if ON_CI:
            pytest.fail(f"{error}: `make test` should have installed it")
        pytest.skip(str(error))


def _frame_db(audio: np.ndarray, rate: int, frame: float = 0.01) -> np.ndarray:
    n = int(rate * frame)
    frames = audio[: len(audio) // n * n].reshape(-1, n).astype(np.float64)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def test_recorded_prompt_aligns_with_its_energy():
    recorded, prompts = _prompts()
    assert len(prompts) >= 560
    prompt = prompts["agent-alreadyon"]  # "That agent is already logged on. Please enter …"
    assert prompt.path.suffix == ".g722"  # the wideband recording is preferred
    utt = recorded.load_recorded(prompt)
    assert (
        utt.source == "recorded" and utt.voice == "recorded:asterisk" and utt.sample_rate == 16_000
    )
    assert utt.extra["licence"] == "CC-BY-SA-3.0"
    check_phones(utt.phones, utt.duration)
    assert [w["word"] for w in utt.extra["words"]][:4] == ["that", "agent", "is", "already"]
    assert any(
        p.phone == SILENCE and p.start > 1.0 for p in utt.phones
    )  # the pause between sentences

    # The prompts are trimmed tight; pad 0.4 s of near-silence each side and check that the
    # aligner puts SIL exactly where the audio is silent, and phones where it is loud.
    rng = np.random.default_rng(0)
    pad = (1e-4 * rng.standard_normal(6400)).astype(np.float32)
    audio = np.concatenate([pad, utt.audio, pad])
    phones = force_align(audio, 16_000, prompt.text).phones
    db = _frame_db(audio, 16_000)
    times = (np.arange(len(db)) + 0.5) * 0.01
    ends = np.array([p.end for p in phones])
    labels = np.array(
        [phones[min(i, len(ends) - 1)].phone for i in np.searchsorted(ends, times, side="right")]
    )
    silent = db < db.max() - 40  # frames 40 dB below the loudest: no one is speaking
    loud = db > db.max() - 20
    assert silent.sum() > 60
    assert np.mean(labels[silent] == SILENCE) > 0.8  # silence where the audio is silent
    assert np.mean(labels[loud] != SILENCE) > 0.95
    assert phones[0].phone == SILENCE and phones[0].end == pytest.approx(0.4, abs=0.08)
    assert phones[-1].phone == SILENCE and phones[-1].start == pytest.approx(
        audio.size / 16_000 - 0.4, abs=0.08
    )


def test_recorded_g722_matches_the_8khz_wav():
    recorded, prompts = _prompts()
    g722 = prompts["agent-alreadyon"].path
    wav = g722.with_suffix(".wav")
    if not wav.is_file():
        pytest.skip("asterisk-core-sounds-en-wav not installed")
    a = recorded.load_prompt_audio(g722, 8_000)
    b = recorded.load_prompt_audio(wav, 8_000)
    n = min(len(a), len(b)) - 40
    assert abs(len(a) - len(b)) < 80
    # the same take, mastered apart: opposite polarity and a few samples' shift
    best = max(
        abs(np.corrcoef(a[20 + lag : 20 + lag + n - 20], b[20:n])[0, 1]) for lag in range(-10, 11)
    )
    assert best > 0.7


def test_recorded_skips_non_speech_with_a_reason():
    recorded, prompts = _prompts()
    results = list(
        recorded.iter_recorded([prompts["beep"], prompts["silence/1"], prompts["digits/7"]])
    )
    assert [u is None for _, u, _ in results] == [True, True, False]
    assert "not speech" in results[0][2] and "not speech" in results[1][2]
    assert [p.phone for p in results[2][1].phones if p.phone != SILENCE] == [
        "S",
        "EH",
        "V",
        "AH",
        "N",
    ]


def test_transcripts_are_speech_only():
    recorded, _ = _prompts()
    texts = recorded.transcripts()
    assert len(texts) > 500
    assert not any(t.startswith("[") for t in texts)


def test_alignment_does_not_depend_on_what_was_decoded_before(slt):
    """Two synth workers see utterances in different orders: each utterance must align the
    same. (A reused pocketsphinx decoder carried its cepstral mean estimate from one utterance
    to the next, which moved a recorded prompt's phones by 10-20 ms.)"""
    rng = np.random.default_rng(0)
    noisy = (0.05 * slt.audio + 0.2 * rng.standard_normal(len(slt.audio))).astype(np.float32)
    loud = np.clip(4.0 * slt.audio, -1, 1).astype(np.float32)

    def phones_of(audio):
        return [(p.phone, p.start, p.end) for p in align(audio, slt.sample_rate, slt.text)]

    first = phones_of(slt.audio)
    for other in (noisy, loud):  # another worker's history
        try:
            phones_of(other)
        except AlignmentError:
            pass
    assert phones_of(slt.audio) == first
    with_recognition = recognize_phones(loud, slt.sample_rate)
    assert recognize_phones(loud, slt.sample_rate) == with_recognition
