#!/usr/bin/env python3
"""Make examples/hello.wav: a sentence spoken by Festival's `slt` (HTS) voice, one of
SynthTalk's held-out voices, which the bundled model never heard in training.

    python scripts/make_example_audio.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from selftalk.synth.speech import synthesize

TEXT = (
    "Hello! Watch how this face moves its lips to the sound of my voice alone. "
    "Maybe you could try it with your own recordings, before breakfast."
)
OUT = Path(__file__).resolve().parents[1] / "examples" / "hello.wav"


def main() -> None:
    speech = synthesize(TEXT, "festival:slt")
    audio = np.clip(speech.audio, -1, 1)
    soundfile.write(str(OUT), audio, speech.sample_rate, subtype="PCM_16")
    print(f"{OUT.name}: {len(audio) / speech.sample_rate:.2f} s at {speech.sample_rate} Hz")


if __name__ == "__main__":
    main()
