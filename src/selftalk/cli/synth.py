"""``selftalk synth OUT_DIR``: build a SynthTalk corpus (speech, lip motion, ARKit weights)."""

from __future__ import annotations

import argparse
import os

from selftalk.cli.types import fps, positive_int


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "synth",
        help="build a synthetic talking-face corpus offline",
        description="Build a SynthTalk corpus in the processed dataset layout: TTS voices and "
        "recorded prompts, a CC0 head with distinct subjects, procedural lip sync. "
        "Deterministic for a seed.",
    )
    p.add_argument("out_dir", help="output directory")
    p.add_argument(
        "--subjects", type=positive_int, default=None, help="number of subjects (default 12)"
    )
    p.add_argument(
        "--sentences", type=positive_int, default=None, help="sentences a subject (default 40)"
    )
    p.add_argument(
        "--voices",
        nargs="+",
        default=None,
        metavar="ENGINE:VOICE",
        help="TTS voices to use, e.g. espeak:en-us flite:kal festival:slt (default: all installed)",
    )
    p.add_argument(
        "--engines",
        nargs="+",
        default=None,
        choices=("espeak", "flite", "festival"),
        help="TTS engines to draw voices from (default: all)",
    )
    p.add_argument("--no-recorded", action="store_true", help="do not use recorded speech")
    p.add_argument("--fps", type=fps, default=30.0, help="motion frame rate (default 30)")
    p.add_argument("--seed", type=int, default=0, help="seed of everything (default 0)")
    p.add_argument(
        "--small", action="store_true", help="a tiny corpus (3 subjects × 4 sentences) for tests"
    )
    p.add_argument(
        "--workers", type=positive_int, default=None, help="worker processes (default: CPU count)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from selftalk.outputs import check_output_folder
    from selftalk.synth.corpus import CorpusOptions, build_corpus, small_options
    from selftalk.synth.sources import ENGINES, SynthSpeech

    check_output_folder(args.out_dir)

    chosen = {
        "voices": tuple(args.voices) if args.voices else None,
        "fps": args.fps,
        "seed": args.seed,
        "workers": args.workers or max(1, os.cpu_count() or 1),
    }
    if args.subjects is not None:
        chosen["n_subjects"] = args.subjects
    if args.sentences is not None:
        chosen["n_sentences"] = args.sentences
    options = small_options(**chosen) if args.small else CorpusOptions(**chosen)
    backend = SynthSpeech(engines=tuple(args.engines or ENGINES), recorded=not args.no_recorded)
    summary = build_corpus(args.out_dir, backend, options, progress=not args.quiet)
    print(
        f"{summary['n_clips']} clips ({summary['hours'] * 60:.1f} min of speech, "
        f"{len(summary['voices'])} voices, {summary['recorded_clips']} recorded clips) "
        f"in {summary['build_seconds']:.1f} s → {args.out_dir}"
    )
    if summary["failed"]:
        print(f"{len(summary['failed'])} clips failed and were left out (see meta.json)")
    return 0
