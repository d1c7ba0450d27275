"""The animator on real speech: every TTS engine and the recorded prompts (CI installs them)."""

import numpy as np
import pytest
from conftest import require_executable, require_module

from selftalk.synth.animator import AnimatorOptions, animate
from selftalk.synth.head import lip_gap, load_head

TEXT = "Bob made a map of the big palm farm, and I saw my father pop up."
OPEN_VOWELS = {"AA", "AE", "AO", "AW", "AY"}


def _check_lips(utt) -> None:
    head = load_head()
    fps = 60.0
    w = animate(
        utt.phones,
        utt.duration,
        options=AnimatorOptions(fps=fps),
        audio=utt.audio,
        sample_rate=utt.sample_rate,
    )
    gap = lip_gap(head.pose(w), head)
    neutral = float(lip_gap(head.template[None], head)[0])
    t = np.arange(len(w)) / fps
    closed = opened = 0
    for p in utt.phones:
        d = p.end - p.start
        frames = np.flatnonzero((t >= p.start + 0.25 * d) & (t <= p.end - 0.25 * d))
        if not len(frames):
            continue
        if p.phone in {"P", "B", "M"}:
            assert gap[frames].max() < neutral + 0.001, p
            closed += 1
        if p.phone in OPEN_VOWELS and d >= 0.06:
            assert gap[frames].max() > neutral + 0.003, p
            opened += 1
    assert closed >= 2 and opened >= 1


@pytest.mark.parametrize(
    "voice,executable",
    [("espeak:en-us+m3", "espeak-ng"), ("flite:kal", "flite"), ("festival:slt", "festival")],
)
def test_lips_follow_tts_engines(voice, executable):
    require_executable(executable)
    require_module("selftalk.synth.speech." + voice.split(":")[0])
    from selftalk.synth.sources import SynthSpeech

    backend = SynthSpeech(recorded=False)
    assert voice in backend.voices()
    _check_lips(backend.synthesize(TEXT, voice))


def test_lips_follow_recorded_speech():
    require_module("pocketsphinx")
    require_module("selftalk.synth.speech.recorded")
    from selftalk.synth.sources import SynthSpeech

    backend = SynthSpeech(engines=())
    prompts = dict(backend.prompts())
    if not prompts:
        from conftest import ON_CI

        if ON_CI:
            pytest.fail("no recorded prompts on CI: install the asterisk sound packages")
        pytest.skip("no recorded prompts installed")
    # a prompt with bilabials and an open vowel
    name = next(
        n
        for n, text in sorted(prompts.items())
        if "please" in text.lower() and "number" in text.lower()
    )
    _check_lips(backend.recording(name))
