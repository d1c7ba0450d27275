"""``selftalk test``: predictions (.npy per clip) for a split of a dataset, from a training run."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from selftalk.cli.common import add_model_arguments, add_output

    parser = subparsers.add_parser(
        "test",
        help="predict every clip of a dataset split",
        description="Write one (frames × vertices × 3) .npy per clip of the split, named after "
        "the clip, for `selftalk metrics`.",
    )
    add_model_arguments(parser, required=True, faces=False)
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
    add_output(parser, required=True, metavar="PRED_DIR", help="folder of {clip}.npy to write")
    parser.add_argument(
        "--frames",
        choices=("gt", "audio"),
        default="gt",
        help="frame count: the ground truth's (default) or the audio's",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from selftalk.inference.evaluate import predict_split
    from selftalk.outputs import check_output_folder

    check_output_folder(args.output, inputs=[args.data, args.run, args.model, args.split_file])
    written = predict_split(
        model_dir=args.model,
        run_dir=args.run,
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
