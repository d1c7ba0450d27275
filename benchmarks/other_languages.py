#!/usr/bin/env python3
"""Does the bundled model move the lips sensibly on speech that is not English?

The model's ears hear IPA (hama's multilingual phoneme inventory), but it was trained on
English only. There is no ground-truth motion for other languages here, so two measures:
- the correlation of its mouth opening with ``lipsync --recognize-phones`` (hama's IPA phones
  mapped to the nearest English phones, then the procedural animator): a language-independent
  reference, scored on English recordings too for comparison;
- how much more the mouth moves during speech than in the pauses (lip-gap spread in frames
  at least 20 dB above the clip's quiet ones, over that in quieter frames).

Recordings: the Asterisk prompts in Debian (`asterisk-core-sounds-{en,es,fr}-wav`): US English
and Mexican Spanish by one speaker, Canadian French by another.

    python benchmarks/other_languages.py [--model DIR] [--clips 60]
Writes benchmarks/results/other_languages.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

SOURCES = {
    "en": Path("/usr/share/asterisk/sounds/en_US_f_Allison"),
    "es": Path("/usr/share/asterisk/sounds/es_MX_f_Allison"),
    "fr": Path("/usr/share/asterisk/sounds/fr_CA_f_June"),
}


def recordings(folder: Path, count: int) -> list[Path]:
    """``count`` of the longer prompts (≥ 1.5 s), in a fixed order."""
    import soundfile

    files = sorted(folder.glob("*.wav"))
    long = [f for f in files if soundfile.info(str(f)).duration >= 1.5]
    step = max(1, len(long) // count)
    return long[::step][:count]


def score(loaded, path: Path) -> dict[str, float]:
    from selftalk.audio import load_audio
    from selftalk.inference.predict import predict_motion
    from selftalk.models.prosody import prosody_features
    from selftalk.synth.head import lip_gap, load_head
    from selftalk.synth.lipsync import animate_phones, recognize

    head = load_head()
    audio = load_audio(path)
    template = loaded.template()
    motion = predict_motion(loaded.model, audio, template)
    reference = animate_phones(recognize(audio, "hama"), audio).vertices[: len(motion)]
    gap, ref_gap = lip_gap(motion[: len(reference)], head), lip_gap(reference, head)
    level = prosody_features(audio)[:, 0] * 25 - 50  # dB, 50 Hz
    times = np.arange(len(gap)) / loaded.model.config.fps
    frame_db = np.interp(times, np.arange(len(level)) / 50.0, level)
    speech = frame_db > np.percentile(frame_db, 10) + 20
    enough = min(speech.sum(), (~speech).sum()) >= 5
    moving = float(gap[speech].std() / max(gap[~speech].std(), 1e-5)) if enough else np.nan
    flat = min(gap.std(), ref_gap.std()) < 1e-9
    corr = 0.0 if flat else float(np.corrcoef(gap, ref_gap)[0, 1])
    return {"corr_with_lipsync": corr, "speech_vs_pause_motion": moving}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model dir (default: bundled)")
    parser.add_argument("--clips", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/other_languages.json"))
    args = parser.parse_args()
    from selftalk.inference.loading import load_model

    loaded = load_model(model_dir=args.model)
    results = {}
    for language, folder in SOURCES.items():
        if not folder.is_dir():
            print(f"{language}: {folder} is not installed, skipped")
            continue
        rows = [score(loaded, f) for f in recordings(folder, args.clips)]
        results[language] = {
            "clips": len(rows),
            **{
                key: round(float(np.nanmedian([r[key] for r in rows])), 3)
                for key in ("corr_with_lipsync", "speech_vs_pause_motion")
            },
        }
        print(language, results[language], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
