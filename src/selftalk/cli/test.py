"""``selftalk test``: predictions (.npy per clip) for a split of a dataset, from a training run."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "test",
        help="predict every clip of a dataset split",
        description="Write one (frames × vertices × 3) .npy per clip of the split, named after "
        "the clip, for `selftalk metrics`.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", dest="run_dir", metavar="RUN_DIR", help="a training run")
    source.add_argument("--model", metavar="MODEL_DIR", help="a model directory")
    parser.add_argument("--checkpoint", choices=("best", "latest"), default="best")
    parser.add_argument(
        "--data",
        required=True,
        metavar="DATA_DIR",
        help="dataset: prepared, or as FaceFormer, CodeTalker, SelfTalk or UniTalker keep it",
    )
    parser.add_argument(
        "--split", default="test", help="split to predict (BIWI's test is test-a; default: test)"
    )
    parser.add_argument(
        "--split-file",
        metavar="SPLITS.json",
        help="named splits {split: {subject: [sentence, ...]}} instead of the dataset's own",
    )
    parser.add_argument("-o", "--output", required=True, metavar="PRED_DIR")
    parser.add_argument(
        "--frames",
        choices=("gt", "audio"),
        default="gt",
        help="frame count: the ground truth's (default) or the audio's",
    )
    parser.add_argument("--device", default="cpu")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from selftalk.inference.evaluate import predict_split
    from selftalk.outputs import check_output_folder

    check_output_folder(args.output, inputs=[args.data, args.run_dir, args.model])
    written = predict_split(
        model_dir=args.model,
        run_dir=args.run_dir,
        checkpoint=args.checkpoint,
        data_dir=args.data,
        split=args.split,
        out_dir=args.output,
        frames=args.frames,
        device=args.device,
        split_file=args.split_file,
    )
    print(f"wrote {written} predictions to {args.output}")
    return 0
