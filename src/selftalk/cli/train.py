"""``selftalk train``: train a SelfTalk model on a prepared dataset (one process or torchrun)."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model on a prepared dataset",
        description="Train SelfTalk on a dataset in the processed layout. Multi-GPU/multi-node: "
        "launch with `torchrun --nproc_per_node N -m selftalk train ...`.",
        epilog="examples:\n"
        "  selftalk train --preset vocaset --data data/vocaset --out runs/voca\n"
        "  selftalk train --preset tiny --data synth --out runs/t train.epochs=3 loss.ctc=0\n"
        "  selftalk train --resume runs/voca\n"
        "  selftalk train --resume runs/voca train.epochs=200   # extend a finished run",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="config overrides, e.g. train.lr=3e-4 model.animator.feature_dim=256",
    )
    parser.add_argument("--preset", default=None, help="named config: vocaset, biwi, tiny, …")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="YAML",
        help="YAML file of overrides (repeatable; applied in order)",
    )
    parser.add_argument("--data", required=True, metavar="DATA_DIR", help="prepared dataset")
    parser.add_argument("--out", metavar="RUN_DIR", help="new run directory")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue this run where it stopped")
    parser.add_argument("--train-split", default="train")
    parser.add_argument("--val-split", default="val", help="'none' to skip validation")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, …")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from selftalk.config import parse_assignments, resolve
    from selftalk.errors import SelfTalkError
    from selftalk.training.run import train

    if bool(args.out) == bool(args.resume):
        raise SelfTalkError("give either --out RUN_DIR (a new run) or --resume RUN_DIR")
    from selftalk.outputs import check_output_folder

    check_output_folder(args.resume or args.out, inputs=[args.data, *args.config])
    config, extend = None, None
    if args.resume:
        if args.preset or args.config:
            raise SelfTalkError(
                "--resume continues a run with its own config; "
                "--preset and --config cannot change it"
            )
        extend = parse_assignments(args.overrides)
    else:
        config = resolve(args.preset or "vocaset", files=args.config, assignments=args.overrides)
    trainer = train(
        config,
        data_dir=args.data,
        run_dir=args.resume or args.out,
        resume=bool(args.resume),
        resume_overrides=extend,
        device=args.device,
        train_split=args.train_split,
        val_split=None if args.val_split.lower() == "none" else args.val_split,
        progress=not args.no_progress,
        argv=["selftalk", *sys.argv[1:]],
    )
    if trainer.dist.is_main:
        state = trainer.state
        best = (
            f", best val loss {state.best_val_loss:.6g}" if state.best_val_loss is not None else ""
        )
        print(f"trained {state.step} steps ({state.epoch} epochs){best} → {trainer.run_dir}")
    return 0
