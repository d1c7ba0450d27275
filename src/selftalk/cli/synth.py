"""``selftalk synth -o OUT_DIR``: build a SynthTalk corpus (speech, lip motion, ARKit weights)."""

from __future__ import annotations

import argparse
import os

from selftalk.cli.common import (
    ConfigRecipe,
    add_config,
    add_output,
    add_progress,
    config_assignments,
    progress_enabled,
    resolve_config,
)
from selftalk.cli.types import fps, positive_int


def full_corpus():
    """The full corpus: 12 subjects × 40 sentences, like VOCASET."""
    from selftalk.synth.corpus import CorpusOptions

    return CorpusOptions()


def small_corpus():
    """A tiny corpus (3 subjects × 4 sentences) that builds in seconds, for tests."""
    from selftalk.synth.corpus import small_options

    return small_options()


#: what the flags --subjects, --sentences, --voices, --fps, --seed, --workers set
_SHORTCUTS = {
    "subjects": "n_subjects",
    "sentences": "n_sentences",
    "voices": "voices",
    "fps": "fps",
    "seed": "seed",
    "workers": "workers",
}


def resolve_corpus_options(args: argparse.Namespace):
    """Preset (``--small`` is ``--preset small``), ``--config`` files, ``--set``, then the
    dedicated flags (``--subjects 3`` is ``--set n_subjects=3``)."""
    import dataclasses

    if args.small:
        if args.preset not in (None, "small"):
            from selftalk.errors import ConfigError

            raise ConfigError(
                f"--small is --preset small; it cannot go with --preset {args.preset}"
            )
        args.preset = "small"
    options = resolve_config(args, CONFIGS)
    chosen = {
        field: getattr(args, flag)
        for flag, field in _SHORTCUTS.items()
        if getattr(args, flag) is not None
    }
    if "voices" in chosen:
        chosen["voices"] = tuple(chosen["voices"])
    if not any(a.strip().startswith("workers=") for a in config_assignments(args)):
        chosen.setdefault("workers", max(1, os.cpu_count() or 1))  # default: every CPU
    options = dataclasses.replace(options, **chosen)
    options.validate()
    return options


CONFIGS = ConfigRecipe(
    presets={"full": full_corpus, "small": small_corpus},
    default="full",
    resolve=resolve_corpus_options,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "synth",
        help="build a synthetic talking-face corpus offline",
        description="Build a SynthTalk corpus in the processed dataset layout: TTS voices and "
        "recorded prompts, a CC0 head with distinct subjects, procedural lip sync. "
        "Deterministic for a seed.",
    )
    p.add_argument("out_dir", nargs="?", metavar="OUT_DIR", help="output directory (or -o)")
    add_output(p, metavar="OUT_DIR", help="output directory")
    add_config(p, CONFIGS)
    p.add_argument(
        "--subjects", type=positive_int, default=None, help="number of subjects (default 12)"
    )
    p.add_argument(
        "--sentences", type=positive_int, default=None, help="sentences a subject (default 200)"
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
    p.add_argument("--fps", type=fps, default=None, help="motion frame rate (default 30)")
    p.add_argument("--seed", type=int, default=None, help="seed of everything (default 0)")
    p.add_argument("--small", action="store_true", help="--preset small: 3 subjects × 4 sentences")
    p.add_argument(
        "--workers", type=positive_int, default=None, help="worker processes (default: CPU count)"
    )
    add_progress(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from selftalk.errors import ConfigError
    from selftalk.outputs import check_output_folder
    from selftalk.synth.corpus import build_corpus
    from selftalk.synth.sources import ENGINES, SynthSpeech

    given = {d for d in (args.out_dir, args.output) if d is not None}
    if len(given) != 1:
        raise ConfigError("give the output directory once: OUT_DIR or -o/--output OUT_DIR")
    out_dir = given.pop()
    check_output_folder(out_dir, inputs=args.config_files)
    options = resolve_corpus_options(args)
    backend = SynthSpeech(engines=tuple(args.engines or ENGINES), recorded=not args.no_recorded)
    summary = build_corpus(out_dir, backend, options, progress=progress_enabled(args))
    print(
        f"{summary['n_clips']} clips ({summary['hours'] * 60:.1f} min of speech, "
        f"{len(summary['voices'])} voices, {summary['recorded_clips']} recorded clips) "
        f"in {summary['build_seconds']:.1f} s → {out_dir}"
    )
    if summary["failed"]:
        print(f"{len(summary['failed'])} clips failed and were left out (see meta.json)")
    return 0
