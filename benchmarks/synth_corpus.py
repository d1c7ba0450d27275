#!/usr/bin/env python3
"""Build a VOCASET-size SynthTalk corpus (12 subjects × 40 sentences) and report its cost.

    python benchmarks/synth_corpus.py OUT_DIR [--workers 2] [--subjects 12] [--sentences 40]

Prints and writes benchmarks/results/synth_corpus.json: build time, size on disk, clips,
hours of speech, voices, recorded clips and minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path

from selftalk.synth.corpus import CorpusOptions, build_corpus
from selftalk.synth.sources import SynthSpeech

RESULTS = Path(__file__).resolve().parent / "results" / "synth_corpus.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--subjects", type=int, default=12)
    parser.add_argument("--sentences", type=int, default=40)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--keep", action="store_true", help="keep the corpus (default: delete it)")
    args = parser.parse_args()
    options = CorpusOptions(
        n_subjects=args.subjects, n_sentences=args.sentences, fps=args.fps, workers=args.workers
    )
    start = time.time()
    summary = build_corpus(args.out_dir, SynthSpeech(), options, progress=True)
    seconds = time.time() - start
    files = [p for p in args.out_dir.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    by_dir = {}
    for p in files:
        top = p.relative_to(args.out_dir).parts[0]
        by_dir[top] = by_dir.get(top, 0) + p.stat().st_size
    result = {
        "subjects": args.subjects,
        "sentences": args.sentences,
        "fps": args.fps,
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "build_seconds": round(seconds, 1),
        "size_bytes": size,
        "size_by_dir_bytes": dict(sorted(by_dir.items())),
        "clips": summary["n_clips"],
        "failed": len(summary["failed"]),
        "speech_minutes": round(summary["hours"] * 60, 2),
        "voices": summary["voices"],
        "n_voices": len(summary["voices"]),
        "held_out_voices": summary["held_out_voices"],
        "recorded_clips": summary["recorded_clips"],
        "recorded_minutes": summary["recorded_minutes"],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(args.out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
