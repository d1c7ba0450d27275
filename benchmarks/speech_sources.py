"""Speech sources: synthesis time per utterance and engine timing vs forced alignment.

    python benchmarks/speech_sources.py [--sentences 10] [--out benchmarks/results/speech_sources.json]

For each voice: seconds to synthesise one generated sentence, real-time factor, and how
far pocketsphinx forced alignment (``align``) puts the phone boundaries from the engine's
own (median / 90th percentile of the nearest-boundary distance), frame label agreement,
and word start/end error where the engine reports words. Also aligns every recorded
Asterisk prompt and counts the usable minutes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from selftalk.io import write_json
from selftalk.synth.speech import force_align, list_voices, synthesize
from selftalk.synth.speech.compare import boundary_errors, frame_agreement, speech_agreement
from selftalk.synth.text import generate_sentences

VOICES = (
    "espeak:en-us",
    "espeak:en-us+f3",
    "espeak:en+m3",
    "espeak:en-gb-scotland+f2",
    "flite:kal",
    "flite:kal16",
    "flite:awb",
    "flite:rms",
    "flite:slt",
    "festival:kal",
    "festival:ked",
    "festival:slt",
)


def bench_voice(voice: str, sentences: list[str]) -> dict:
    synth_s, align_s, audio_s, errors, frames, speech, word_err = 0.0, 0.0, 0.0, [], [], [], []
    for text in sentences:
        t = time.perf_counter()
        utt = synthesize(text, voice)
        synth_s += time.perf_counter() - t
        audio_s += utt.duration
        t = time.perf_counter()
        result = force_align(utt.audio, utt.sample_rate, text)
        align_s += time.perf_counter() - t
        errors.append(boundary_errors(utt.phones, result.phones))
        frames.append(frame_agreement(utt.phones, result.phones))
        speech.append(speech_agreement(utt.phones, result.phones))
        words = utt.extra.get("words") or []
        if len(words) == len(result.words):
            for w, r in zip(words, result.words):
                word_err += [abs(w["start"] - r.start), abs(w["end"] - r.end)]
    err = np.concatenate(errors)
    n = len(sentences)
    return {
        "voice": voice,
        "utterances": n,
        "synth_s_per_utterance": round(synth_s / n, 4),
        "audio_s_per_utterance": round(audio_s / n, 3),
        "realtime_factor": round(synth_s / audio_s, 4),
        "align_s_per_utterance": round(align_s / n, 4),
        "boundary_error_median_ms": round(1000 * float(np.median(err)), 1),
        "boundary_error_p90_ms": round(1000 * float(np.percentile(err, 90)), 1),
        "boundaries_within_20ms": round(float(np.mean(err <= 0.02)), 3),
        "frame_label_agreement": round(float(np.mean(frames)), 3),
        "speech_silence_agreement": round(float(np.mean(speech)), 3),
        "word_edge_error_median_ms": round(1000 * float(np.median(word_err)), 1)
        if word_err
        else None,
    }


def bench_recorded() -> dict:
    from selftalk.synth.speech import recorded

    t = time.perf_counter()
    prompts = recorded.list_prompts()
    total = sum(len(recorded.load_prompt_audio(p.path)) for p in prompts) / 16000
    usable, skipped = 0.0, []
    for prompt, utt, reason in recorded.iter_recorded(prompts):
        if utt is None:
            skipped.append({"prompt": prompt.name, "reason": reason})
        else:
            usable += utt.duration
    return {
        "prompts": len(prompts),
        "aligned": len(prompts) - len(skipped),
        "minutes_total": round(total / 60, 2),
        "minutes_aligned": round(usable / 60, 2),
        "seconds_to_align_all": round(time.perf_counter() - t, 1),
        "skipped": skipped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=10)
    parser.add_argument("--out", default="benchmarks/results/speech_sources.json")
    parser.add_argument("--no-recorded", action="store_true")
    args = parser.parse_args()
    sentences = generate_sentences(args.sentences, seed=123)
    installed = set(list_voices())
    rows = []
    for voice in VOICES:
        if voice not in installed:
            print(f"{voice}: not installed, skipped")
            continue
        row = bench_voice(voice, sentences)
        rows.append(row)
        print(row)
    mean_synth = float(np.mean([r["synth_s_per_utterance"] for r in rows]))
    report = {
        "voices": rows,
        "voices_available": len(installed),
        # 12 subjects x 40 sentences over the voices above, on 2 processes
        "corpus_12x40_synth_minutes_on_2_cores": round(480 * mean_synth / 2 / 60, 2),
    }
    print(
        "12x40 corpus, speech only, 2 cores:",
        report["corpus_12x40_synth_minutes_on_2_cores"],
        "min",
    )
    if not args.no_recorded:
        report["recorded"] = bench_recorded()
        print({k: v for k, v in report["recorded"].items() if k != "skipped"})
    write_json(args.out, report)


if __name__ == "__main__":
    main()
