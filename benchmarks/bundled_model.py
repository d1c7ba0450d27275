#!/usr/bin/env python3
"""Evidence for the bundled model: on SynthTalk's held-out voices and held-out recorded speech,
LVE, FDD, MVE, LRP, the lip error relative to the best motionless mouth, the correlation of
mouth opening with the reference, and the phoneme and viseme error rates of a judge lip
reader, for trained models (several seeds), no-transcript lip sync and the static template.

    python benchmarks/bundled_model.py --data data/synth --judge runs/judge \\
        --system "SelfTalk (diagram)=runs/d0,runs/d1,runs/d2" \\
        --system "SelfTalk (no diagram)=runs/n0,runs/n1,runs/n2" \\
        --system "previous bundled model=runs/previous-bundled" \\
        --out benchmarks/results/bundled_model

A system is one or more runs or model directories (seeds: a mean and a spread). With
``--ears-window LEFT RIGHT`` each run is first packaged as the bundled model is (float16, those
recognizer windows; scripts/package_bundled_model.py), so that what is scored is what ships. The reference
of a held-out clip is its SynthTalk ground truth: the procedural animator on the phones of the
true transcript, forced-aligned to the audio (what ``selftalk lipsync --text`` makes), on the
clip's subject. Baselines: ``lipsync --recognize-phones`` with hama's and with pocketsphinx's
phones (default speaking style, the subject's face) and the static template. Each run's
mouth-opening r is also set against each lip-sync baseline's, paired over the same clips
(the difference, its 95 % bootstrap interval, bootstrap and Wilcoxon p-values).
Writes ``OUT.json`` and ``OUT.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from selftalk.io import save_npy, write_json, write_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from package_bundled_model import add_ears_window, package  # noqa: E402

SPLITS = ("test_voices", "test_recorded")
#: a scored run's per-clip values (for paired comparisons; not summarized over seeds)
PER_CLIP = "per_clip"
#: a run's entries that are not one number to average over seeds
NOT_SUMMARIZED = (PER_CLIP, "mouth_open_corr_vs")


def predict_trained(path: Path, data: Path, split: str, out: Path, checkpoint: str) -> None:
    from selftalk.inference.evaluate import predict_split

    where = {"run_dir": path, "checkpoint": checkpoint}
    if not (path / "checkpoints").is_dir():
        where = {"model_dir": path}
    predict_split(**where, data_dir=data, split=split, out_dir=out, progress=False)


def predict_lipsync(recognizer: str):
    def predict(data: Path, split: str, out: Path) -> None:
        from selftalk.audio import load_audio
        from selftalk.data.layout import DatasetLayout
        from selftalk.metrics.groundtruth import EvaluationData
        from selftalk.synth.animator import AnimatorOptions, animate
        from selftalk.synth.head import load_head
        from selftalk.synth.lipsync import recognize
        from selftalk.synth.subjects import SpeakingStyle

        head, layout, truth = load_head(), DatasetLayout(data), EvaluationData(data)
        for clip in truth.split_clips(split):
            audio = load_audio(layout.audio_path(clip))
            n = len(truth.ground_truth(clip))
            weights = animate(
                recognize(audio, recognizer),
                n / layout.meta.fps,
                style=SpeakingStyle(),
                options=AnimatorOptions(fps=layout.meta.fps),
                audio=audio,
                sample_rate=16_000,
            )
            save_npy(out / f"{clip}.npy", head.pose(weights[:n], truth.template(clip)))

    return predict


def predict_static(data: Path, split: str, out: Path) -> None:
    from selftalk.metrics.groundtruth import EvaluationData

    truth = EvaluationData(data)
    for clip in truth.split_clips(split):
        n = len(truth.ground_truth(clip))
        save_npy(out / f"{clip}.npy", np.repeat(truth.template(clip)[None], n, axis=0))


def mouth_scores(pred: Path, data: Path, split: str, judge, own=None) -> dict:
    """Lip error vs the best motionless mouth, mouth-opening correlation, judge PER/VER, and
    the error rate of a system's own lip reader (``own``) on its own motion."""
    from selftalk.data.layout import DatasetLayout
    from selftalk.metrics.groundtruth import EvaluationData
    from selftalk.phonetics import ReadingVocabulary
    from selftalk.synth.head import lip_gap, load_head
    from selftalk.training import lip_reading as lr

    head, truth = load_head(), EvaluationData(data)
    lips = DatasetLayout(data).topology().lip_indices
    phones = DatasetLayout(data).meta.clips
    fps = DatasetLayout(data).meta.fps
    phonemes, visemes = ReadingVocabulary("phonemes"), ReadingVocabulary("visemes")
    clips = list(truth.split_clips(split))
    errors, constant, corr, per, ver, own_pairs, own_truth = ([] for _ in range(7))
    own_vocabulary = ReadingVocabulary(own.config.reading) if own is not None else None
    for clip in clips:
        gt = truth.ground_truth(clip)
        motion = np.load(pred / f"{clip}.npy")[: len(gt)]
        n = len(motion)
        gt_lips, pred_lips = gt[:n, lips], motion[:, lips]
        errors.append(np.square(pred_lips - gt_lips).sum(-1).mean())
        constant.append(np.square(gt_lips - gt_lips.mean(0)).sum(-1).mean())
        a, b = lip_gap(motion, head), lip_gap(gt[:n], head)
        if a.std() > 1e-9 and b.std() > 1e-9:
            corr.append(float(np.corrcoef(a, b)[0, 1]))
        else:
            corr.append(0.0)
        clip_info = lr.LipClip(
            name=clip,
            lips=(motion[:, lips] - truth.template(clip)[lips]).astype(np.float32),
            fps=fps,
            phones=[tuple(p) for p in phones[clip]["phones"]],
        )
        if judge is not None:
            hyp = lr.read(judge, clip_info.lips, fps, merge=False)
            per.append((hyp, lr.true_sequence(clip_info, phonemes)))
            ver.append((lr.to_visemes(hyp, phonemes), lr.true_sequence(clip_info, visemes)))
        if own is not None:
            merge = own_vocabulary.kind == "visemes"
            expected = lr.true_sequence(clip_info, own_vocabulary)
            own_pairs.append((lr.read(own, clip_info.lips, fps, merge=merge), expected))
            truth_lips = (gt[:n, lips] - truth.template(clip)[lips]).astype(np.float32)
            own_truth.append((lr.read(own, truth_lips, fps, merge=merge), expected))
    out = {
        "lip_error_vs_constant": float(np.mean(errors) / np.mean(constant)),
        "mouth_open_corr": float(np.mean(corr)),
        PER_CLIP: {"clips": clips, "mouth_open_corr": corr},
    }
    if judge is not None:
        out.update(judge_per=lr.error_rate(per), judge_ver=lr.error_rate(ver))
    if own is not None:
        kind = "ver" if own_vocabulary.kind == "visemes" else "per"
        out[f"own_{kind}"] = lr.error_rate(own_pairs)
        out[f"own_{kind}_on_truth"] = lr.error_rate(own_truth)
    return out


def score(pred: Path, data: Path, split: str, rhos: tuple[float, ...], judge, own=None) -> dict:
    from selftalk.metrics.evaluate import EvaluateOptions, evaluate_predictions, report_to_dict

    report = report_to_dict(
        evaluate_predictions(pred, data, EvaluateOptions(split=split, rhos=rhos, scale="raw"))
    )
    values = report["metrics"]
    return {
        "lve": values["lve"],
        "fdd": values["fdd"],
        "mve": values["mve"],
        **{f"lrp@{r}": v for r, v in zip(rhos, values["lrp"].values())},
        **mouth_scores(pred, data, split, judge, own),
    }


def own_reader(path: Path, args, packaged: Path | None = None):
    """A run's own lip reader (from its packaged model, if any), if its training taught it to
    read (the diagram); else None."""
    if not (path / "checkpoints").is_dir():
        return None
    from selftalk.inference.loading import load_model

    config = json.loads((path / "config.json").read_text())
    if config["loss"]["ctc"] <= 0:
        return None
    where = {"model_dir": packaged} if packaged else {"run_dir": path}
    return load_model(**where, checkpoint=args.checkpoint).model.lip_reader.eval()


def paired_corr(run: dict, baseline: dict, n_boot: int = 10000, seed: int = 0) -> dict:
    """A run's mouth-opening r minus a baseline's, paired over the same clips: the difference
    of the means, its 95 % bootstrap interval and the bootstrap and Wilcoxon p-values."""
    from selftalk.metrics.bootstrap import (
        bootstrap_indices,
        bootstrap_p_value,
        percentile_interval,
        ratio_samples,
        wilcoxon_p_value,
    )

    a, b = run[PER_CLIP], baseline[PER_CLIP]
    if a["clips"] != b["clips"]:
        raise ValueError("paired scores need the same clips in the same order")
    ra, rb = np.asarray(a["mouth_open_corr"]), np.asarray(b["mouth_open_corr"])
    idx = bootstrap_indices(len(ra), n_boot, seed)
    ones = np.ones_like(ra)
    diff = ratio_samples(ra, ones, idx) - ratio_samples(rb, ones, idx)
    return {
        "diff": float(ra.mean() - rb.mean()),
        "interval_95": percentile_interval(diff, 0.95),
        "p_bootstrap": bootstrap_p_value(diff),
        "p_wilcoxon": wilcoxon_p_value(ra, rb),
    }


def summarize(values: list[float]) -> dict:
    array = np.asarray(values, float)
    return {
        "mean": float(array.mean()),
        "std": float(array.std(ddof=1)) if len(array) > 1 else 0.0,
        "n": len(array),
        "values": array.tolist(),
    }


COLUMNS = (
    ("lve", "LVE (mm²)", 1e6),
    ("fdd", "FDD (mm²)", 1e6),
    ("mve", "MVE (mm)", 1e3),
    ("lrp@0.002", "LRP@2 mm (%)", 100),
    ("lrp@0.004", "LRP@4 mm (%)", 100),
    ("lip_error_vs_constant", "lip error / best constant", 1),
    ("mouth_open_corr", "mouth-opening r", 1),
    ("judge_per", "judge PER", 1),
    ("judge_ver", "judge VER", 1),
    ("own_ver", "own reader VER", 1),
    ("own_ver_on_truth", "own reader VER on truth", 1),
)


def paired_lines(table: dict) -> list[str]:
    """Each run's mouth-opening r against each lip-sync baseline, paired over clips."""
    lines = []
    for name, row in table.items():
        for k, run in enumerate(row["runs"]):
            for base, d in run.get("mouth_open_corr_vs", {}).items():
                low, high = d["interval_95"]
                lines.append(
                    f"- {name} (run {k}) − {base}: mouth-opening r {d['diff']:+.4f} "
                    f"[{low:+.4f}, {high:+.4f}], p = {d['p_bootstrap']:.3g} (bootstrap), "
                    f"{d['p_wilcoxon']:.3g} (Wilcoxon)"
                )
    return [*lines, ""] if lines else []


def markdown(results: dict) -> str:
    lines = []
    for split, table in results["splits"].items():
        lines += [f"### {split}", ""]
        lines.append("| system | seeds | " + " | ".join(c[1] for c in COLUMNS) + " |")
        lines.append("|---" * (len(COLUMNS) + 2) + "|")
        for name, row in table.items():
            cells = []
            for key, _, scale in COLUMNS:
                if key not in row:
                    cells.append("–")
                    continue
                mean, std = row[key]["mean"] * scale, row[key]["std"] * scale
                cells.append(f"{mean:.3g} ± {std:.2g}" if row[key]["n"] > 1 else f"{mean:.3g}")
            lines.append(f"| {name} | {row['lve']['n']} | " + " | ".join(cells) + " |")
        lines.append("")
        lines += paired_lines(table)
    return "\n".join(lines)


#: baseline key → (system name, its predictor's maker)
BASELINES = {
    "hama": ("lipsync --recognize-phones (hama)", lambda: predict_lipsync("hama")),
    "pocketsphinx": (
        "lipsync --recognize-phones (pocketsphinx)",
        lambda: predict_lipsync("pocketsphinx"),
    ),
    "static": ("static template", lambda: predict_static),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--system", action="append", default=[], metavar="NAME=DIR[,DIR…]")
    parser.add_argument("--judge", type=Path, help="lip reader from benchmarks/lip_reading.py")
    parser.add_argument("--splits", nargs="+", default=list(SPLITS))
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument(
        "--baselines",
        nargs="+",
        choices=tuple(BASELINES),
        default=list(BASELINES),
        help="which baselines to score (default: all)",
    )
    parser.add_argument(
        "--checkpoint",
        default="latest",
        choices=("latest", "best"),
        help="checkpoint of runs (default: the last, at the end of the schedule)",
    )
    add_ears_window(parser, "score runs packaged with these windows (as the bundled model ships)")
    parser.add_argument("--out", required=True, type=Path, help="output stem (.json, .md)")
    args = parser.parse_args()
    rhos = (0.001, 0.002, 0.004)

    judge = None
    if args.judge:
        from selftalk.training.lip_reading import load_reader

        judge, _ = load_reader(args.judge)
    systems = []
    for spec in args.system:
        name, _, dirs = spec.partition("=")
        systems.append((name, [Path(d) for d in dirs.split(",")]))
    chosen = [] if args.no_baselines else args.baselines
    baselines = [(BASELINES[key][0], BASELINES[key][1]()) for key in chosen]
    results: dict = {"data": str(args.data.name), "rho_m": list(rhos), "splits": {}}
    results["ears_window"] = args.ears_window
    results["smoothing"] = args.smoothing
    with tempfile.TemporaryDirectory() as tmp:
        packaged = {}
        if args.ears_window or args.smoothing:
            for name, dirs in systems:
                for k, path in enumerate(dirs):
                    if (path / "checkpoints").is_dir():
                        out = Path(tmp) / "packaged" / f"{name}-{k}"
                        package(path, args.checkpoint, out, args.ears_window, args.smoothing)
                        packaged[path] = out
        for split in args.splits:
            table = {}
            for name, dirs in systems:
                rows = []
                for k, path in enumerate(dirs):
                    out = Path(tmp) / split / f"{name}-{k}"
                    predict_trained(
                        packaged.get(path, path), args.data, split, out, args.checkpoint
                    )
                    own = own_reader(path, args, packaged.get(path))
                    rows.append(score(out, args.data, split, rhos, judge, own))
                table[name] = rows
                print(split, name, rows, flush=True)
            for name, predict in baselines:
                out = Path(tmp) / split / name.replace(" ", "_")
                predict(args.data, split, out)
                table[name] = [score(out, args.data, split, rhos, judge)]
                print(split, name, table[name], flush=True)
            for name, rows in table.items():
                for row in rows:
                    row["mouth_open_corr_vs"] = {
                        base: paired_corr(row, table[base][0])
                        for base, _ in baselines
                        if base != name and base != BASELINES["static"][0]
                    }
            results["splits"][split] = {
                name: {
                    "runs": rows,
                    **{
                        m: summarize([r[m] for r in rows])
                        for m in rows[0]
                        if m not in NOT_SUMMARIZED
                    },
                }
                for name, rows in table.items()
            }
    write_json(args.out.with_suffix(".json"), results)
    write_text(args.out.with_suffix(".md"), markdown(results))


if __name__ == "__main__":
    main()
