"""``selftalk train``: train a SelfTalk model on a prepared dataset (one process or torchrun)."""

from __future__ import annotations

import argparse

from selftalk.cli.common import (
    ConfigRecipe,
    add_config,
    add_output,
    add_progress,
    config_assignments,
    progress_enabled,
    resolve_config,
)
from selftalk.config import PRESETS


def resolve_train_config(args: argparse.Namespace):
    """The config a new run trains with, or, with ``--resume``, the run's own (extended by the
    ``KEY=VALUE`` a resumed run accepts)."""
    from selftalk.config import parse_assignments
    from selftalk.errors import SelfTalkError

    if not args.resume:
        return resolve_config(args, CONFIGS)
    if args.preset or args.config_files:
        raise SelfTalkError(
            "--resume continues a run with its own config; --preset and --config cannot change it"
        )
    from selftalk.training.run import extend_run_config, load_run_config

    extend = parse_assignments(config_assignments(args))
    return extend_run_config(load_run_config(args.resume), extend)


CONFIGS = ConfigRecipe(presets=PRESETS, default="vocaset", resolve=resolve_train_config)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model on a prepared dataset",
        description="Train SelfTalk on a dataset in the processed layout. Multi-GPU/multi-node: "
        "launch with `torchrun --nproc_per_node N -m selftalk train ...`.",
        epilog="examples:\n"
        "  selftalk train --preset vocaset --data data/vocaset -o runs/voca\n"
        "  selftalk train --preset tiny --data synth -o runs/t --set train.epochs=3 "
        "--set loss.ctc=0\n"
        "  selftalk train --preset tiny --set train.lr=3e-4 --dump-config\n"
        "  selftalk train --resume runs/voca\n"
        "  selftalk train --resume runs/voca --set train.epochs=200   # extend a finished run",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config(parser, CONFIGS, positional_overrides=True)
    parser.add_argument("--data", required=True, metavar="DATA_DIR", help="prepared dataset")
    add_output(parser, metavar="RUN_DIR", help="new run directory")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue this run where it stopped")
    parser.add_argument("--train-split", default="train")
    parser.add_argument("--val-split", default="val", help="'none' to skip validation")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, …")
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where the frozen recognizer's outputs are cached (default: inside the run); "
        "runs on the same data can share one",
    )
    add_progress(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from selftalk.config import parse_assignments
    from selftalk.errors import SelfTalkError
    from selftalk.training.run import train

    if bool(args.output) == bool(args.resume):
        raise SelfTalkError("give either -o/--output RUN_DIR (a new run) or --resume RUN_DIR")
    from selftalk.outputs import check_output_folder

    inputs = [args.data, *args.config_files]
    check_output_folder(args.resume or args.output, inputs=inputs)
    if args.cache_dir:
        check_output_folder(args.cache_dir, inputs=inputs)
    config, extend = None, None
    if args.resume:
        resolve_train_config(args)  # the checks, before anything starts
        extend = parse_assignments(config_assignments(args))
    else:
        config = resolve_train_config(args)
    trainer = train(
        config,
        data_dir=args.data,
        run_dir=args.resume or args.output,
        resume=bool(args.resume),
        resume_overrides=extend,
        device=args.device,
        train_split=args.train_split,
        val_split=None if args.val_split.lower() == "none" else args.val_split,
        progress=progress_enabled(args),
        argv=["selftalk", *sys.argv[1:]],
        cache_dir=args.cache_dir,
    )
    if trainer.dist.is_main:
        state = trainer.state
        best = (
            f", best val loss {state.best_val_loss:.6g}" if state.best_val_loss is not None else ""
        )
        print(f"trained {state.step} steps ({state.epoch} epochs){best} → {trainer.run_dir}")
    return 0
