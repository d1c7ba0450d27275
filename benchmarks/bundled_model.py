#!/usr/bin/env python3
"""Evidence for the bundled model: LVE, FDD, MVE, LRP and lip-reading CER on SynthTalk's held-out
splits, for the trained models, a non-neural baseline and the static template.

    python benchmarks/bundled_model.py --data synth \\
        --system "SelfTalk (diagram)=runs/bundled-s0,runs/bundled-s1" \\
        --system "without diagram=runs/nodiagram-s0,runs/nodiagram-s1" \\
        --judge runs/bundled-s0 --out benchmarks/results/bundled_model

Systems given by runs are predicted with the ground truth's frame count (as in training);
several runs of one system (seeds) give a mean and a spread. Baselines:
- ``lipsync (pocketsphinx)``: phone recognition without the transcript, then the SynthTalk
  procedural animator with a default speaking style, on the clip subject's template;
- ``static template``: no motion at all.
Lip-reading CER is read by one fixed lip reader (``--judge``) for every system, against the
true transcripts; each trained system's own lip reader is reported too.
Writes ``OUT.json`` and ``OUT.md``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from selftalk.io import save_npy, write_json, write_text

METRICS = ("lve", "fdd", "mve", "lrp", "cer_judge", "cer_own")


def predict_run(run: Path, data: Path, split: str, out: Path) -> None:
    from selftalk.inference.evaluate import predict_split

    predict_split(run_dir=run, data_dir=data, split=split, out_dir=out, progress=False)


def predict_lipsync(data: Path, split: str, out: Path) -> None:
    from selftalk.audio import load_audio
    from selftalk.data.layout import DatasetLayout
    from selftalk.metrics.groundtruth import EvaluationData
    from selftalk.synth.animator import AnimatorOptions, animate
    from selftalk.synth.head import load_head
    from selftalk.synth.speech.align import recognize_phones
    from selftalk.synth.subjects import SpeakingStyle

    head, layout, truth = load_head(), DatasetLayout(data), EvaluationData(data)
    for clip in truth.split_clips(split):
        audio = load_audio(layout.audio_path(clip))
        n = len(truth.ground_truth(clip))
        phones = recognize_phones(audio, 16_000)
        weights = animate(
            phones,
            n / layout.meta.fps,
            style=SpeakingStyle(),
            options=AnimatorOptions(fps=layout.meta.fps),
            audio=audio,
            sample_rate=16_000,
        )
        save_npy(out / f"{clip}.npy", head.pose(weights[:n], truth.template(clip)))


def predict_static(data: Path, split: str, out: Path) -> None:
    from selftalk.metrics.groundtruth import EvaluationData

    truth = EvaluationData(data)
    for clip in truth.split_clips(split):
        n = len(truth.ground_truth(clip))
        save_npy(out / f"{clip}.npy", np.repeat(truth.template(clip)[None], n, axis=0))


def score(pred: Path, data: Path, split: str, rhos: tuple[float, ...], judge, own) -> dict:
    from selftalk.inference.lipread import read_predictions
    from selftalk.metrics.evaluate import EvaluateOptions, evaluate_predictions, report_to_dict

    options = EvaluateOptions(split=split, rhos=rhos, scale="raw")
    result = {}
    for name, reader in (("cer_own", own), ("cer_judge", judge)):
        hyps = read_predictions(reader, pred, data, split) if reader is not None else None
        report = report_to_dict(evaluate_predictions(pred, data, options, hypotheses=hyps))
        if hyps is not None:
            result[name] = report["metrics"]["cer"]
    values = report["metrics"]
    result.update(
        lve=values["lve"],
        fdd=values["fdd"],
        mve=values["mve"],
        lrp={str(r): v for r, v in zip(rhos, values["lrp"].values())},
        lrp_curve=report["lrp_curve"],
    )
    return result


def summarize(values: list[float]) -> dict:
    array = np.asarray(values, float)
    return {
        "mean": float(array.mean()),
        "std": float(array.std(ddof=1)) if len(array) > 1 else 0.0,
        "n": len(array),
        "values": array.tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--system", action="append", default=[], metavar="NAME=RUN[,RUN…]")
    parser.add_argument("--judge", type=Path, help="run whose lip reader reads every system")
    parser.add_argument("--splits", nargs="+", default=["test_voices", "test_recorded"])
    parser.add_argument(
        "--rho",
        type=float,
        nargs="+",
        default=[0.001, 0.002, 0.004],
        help="LRP thresholds in metres (default 1, 2, 4 mm)",
    )
    parser.add_argument("--out", required=True, type=Path, help="output stem (.json, .md)")
    args = parser.parse_args()

    from selftalk.inference.loading import load_model

    judge = load_model(run_dir=args.judge).model if args.judge else None
    systems = []
    for spec in args.system:
        name, _, runs = spec.partition("=")
        systems.append((name, [Path(r) for r in runs.split(",")]))
    results: dict = {"data": str(args.data.name), "rho_m": args.rho, "splits": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for split in args.splits:
            table = {}
            for name, runs in systems:
                per_seed = []
                for run in runs:
                    out = Path(tmp) / split / run.name
                    predict_run(run, args.data, split, out)
                    own = load_model(run_dir=run).model
                    per_seed.append(score(out, args.data, split, tuple(args.rho), judge, own))
                table[name] = per_seed
            for name, fn in (
                ("lipsync (pocketsphinx)", predict_lipsync),
                ("static template", predict_static),
            ):
                out = Path(tmp) / split / name.split()[0]
                fn(args.data, split, out)
                table[name] = [score(out, args.data, split, tuple(args.rho), judge, None)]
            results["splits"][split] = {
                name: {
                    "runs": rows,
                    **{
                        m: summarize([r[m] for r in rows])
                        for m in ("lve", "fdd", "mve", "cer_judge", "cer_own")
                        if m in rows[0]
                    },
                    **{
                        f"lrp@{r}": summarize([row["lrp"][str(r)] for row in rows])
                        for r in args.rho
                    },
                }
                for name, rows in table.items()
            }
    write_json(args.out.with_suffix(".json"), results)
    write_text(args.out.with_suffix(".md"), markdown(results, args.rho))
    print(markdown(results, args.rho))


def markdown(results: dict, rhos: list[float]) -> str:
    def cell(entry, scale=1.0, digits=3):
        if entry is None:
            return "–"
        text = f"{entry['mean'] * scale:.{digits}f}"
        return text + (f" ± {entry['std'] * scale:.{digits}f}" if entry["n"] > 1 else "")

    lines = []
    for split, systems in results["splits"].items():
        lines += [
            f"### {split}",
            "",
            "| system | seeds | LVE (mm²) | FDD (mm²) | MVE (mm) | "
            + " | ".join(f"LRP@{r * 1000:g} mm (%)" for r in rhos)
            + " | CER, judge | CER, own |",
            "|---|---|---|---|---|" + "---|" * len(rhos) + "---|---|",
        ]
        for name, entry in systems.items():
            lines.append(
                f"| {name} | {entry['lve']['n']} | {cell(entry['lve'], 1e6)} | "
                f"{cell(entry['fdd'], 1e6, 4)} | {cell(entry['mve'], 1e3)} | "
                + " | ".join(cell(entry[f"lrp@{r}"], 100, 1) for r in rhos)
                + f" | {cell(entry.get('cer_judge'))} | {cell(entry.get('cer_own'))} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
