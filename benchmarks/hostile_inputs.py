"""A battery of hostile and clumsy inputs against all 13 verbs, through the real command line.

    python benchmarks/hostile_inputs.py [--src SRC] [--only VERB ...] [--out FILE]

Each case runs ``python -m selftalk ...`` in a fresh folder and is *handled well* when:

- error cases: the exit status is non-zero (2, or 1 for verbs that report problems, 143
  after SIGTERM) and not a crash; stderr holds one line ``selftalk VERB: error: ...`` that
  names the file or option, and no traceback; no output, temporary file or new folder is
  left; every input is byte-for-byte untouched; peak memory stays under --max-rss-mb;
- clumsy-but-valid cases (stereo 44.1 kHz audio, a re-run over its own output, a header
  that claims more data than it holds…): exit 0, no traceback, inputs untouched.

``--src`` runs another checkout's ``src`` (e.g. an older commit's, to compare). The inputs are
made by ``tests/contract/hostile.py``. Results: benchmarks/results/hostile_inputs.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "contract"))
import hostile  # noqa: E402 - the test corpus, shared with tests/contract

N_HEAD = 4538  # vertices of the bundled head


@dataclass
class Case:
    verb: str
    name: str
    argv: list[str]
    names: list[str] = field(default_factory=list)  # the error line must name these
    expect: str = "error"  # "error", "ok", "report" (exit 1 with findings), "sigterm"
    wrap: str | None = None  # "enospc", "readonly": run in a private mount namespace
    setup: object = None  # callable(folder) run before the case


CRITERIA = {
    "error": [
        "exit status non-zero (not a crash)",
        "one line `selftalk VERB: error: ...` on stderr naming the file or option",
        "no traceback",
        "no output, temporary file or new folder left",
        "inputs untouched",
        "peak memory under the limit",
    ],
    "ok": ["exit status 0", "no traceback", "inputs untouched", "peak memory under the limit"],
}


# --------------------------------------------------------------------------- the inputs


def make_inputs(work: Path, env: dict) -> None:
    """Every file the cases read, made once in ``work``."""
    h = hostile
    h.wav(work / "speech.wav", 1.0)
    h.wav(work / "speech.flac", 1.0)
    h.wav(work / "stereo44.wav", 2.0, rate=44_100, channels=2)
    h.short_wav(work / "tick.wav")
    h.truncated_wav(work / "trunc.wav")
    h.lying_wav(work / "lie.wav")
    h.empty_file(work / "empty.wav")
    h.text_file(work / "text.wav")
    h.garbage(work / "garbage.mp3")
    import soundfile

    samples = np.zeros(1600, np.float32)
    samples[100] = np.nan
    soundfile.write(str(work / "nan.wav"), samples, 16_000, subtype="FLOAT")
    h.motion(work / "m.npy", N_HEAD)
    h.motion(work / "nan_m.npy", N_HEAD, nan=True)
    h.motion(work / "wrongv.npy", 10)
    h.object_npy(work / "obj.npy")
    h.empty_file(work / "empty.npy")
    h.huge_header_npy(work / "huge.npy")
    h.text_file(work / "text.npy")
    deltas = np.zeros((2, N_HEAD, 3), np.float32)
    deltas[0, 0, 0] = np.nan
    np.savez(work / "nan_basis.npz", names=np.array(["jawOpen", "mouthClose"]), deltas=deltas)
    np.savez(work / "obj_basis.npz", names=np.array([{"a": 1}], dtype=object), deltas=deltas)
    (work / "nan.obj").write_text("v 0 0 0\nv 1 0 nan\nv 0 1 0\nf 1 2 3\n")
    h.head_mesh(work / "head.ply")
    h.bytearray_bomb(work / "bomb.pkl")
    h.code_pickle(work / "code.pkl")
    h.yaml_bomb(work / "bomb.yaml")
    (work / "binary.yaml").write_bytes(b"\xff\xfe\x00\x81")
    (work / "list.yaml").write_text("- 1\n- 2\n")
    (work / "afile").write_text("a file, not a folder\n")
    (work / "adir").mkdir()
    # models
    h.model_dir(work / "model")
    damaged = {
        "model_list_config": lambda d: (d / "config.json").write_text("[1, 2]"),
        "model_no_weights": lambda d: (d / "model.safetensors").unlink(),
        "model_bad_weights": lambda d: (d / "model.safetensors").write_bytes(b"\x08\x00"),
        "model_missing_tensor": lambda d: _weights(d, lambda s: s.pop("animator.vertex_head.bias")),
        "model_wrong_shape": lambda d: _weights(
            d,
            lambda s: s.__setitem__(
                "animator.vertex_head.bias", s["animator.vertex_head.bias"][:3]
            ),
        ),
        "model_nan_weight": lambda d: _weights(
            d, lambda s: s["animator.vertex_head.weight"].view(-1).__setitem__(0, float("nan"))
        ),
        "model_empty_encoder": lambda d: _config(d, audio_encoder={}),
        "model_huge_encoder": lambda d: _config(
            d, audio_encoder={**_read(d)["audio_encoder"], "hidden_size": 1 << 20}
        ),
        "model_obj_templates": lambda d: np.savez(
            d / "templates.npz", s=np.array([{"x": 1}], dtype=object)
        ),
        "model_small_template": lambda d: np.savez(d / "templates.npz", s=np.zeros((10, 3))),
        "model_nan_mesh": lambda d: (
            (d / "mesh.ply").unlink() or shutil.copy(work / "nan.obj", d / "mesh.ply")
        ),
    }
    for name, damage in damaged.items():
        shutil.copytree(work / "model", work / name)
        damage(work / name)
    # data, predictions, a run
    h.dataset(work / "data")
    for name, change in {
        "pred": None,
        "pred_empty": lambda p: (p / "s_b.npy").write_bytes(b""),
        "pred_nan": lambda p: np.save(p / "s_b.npy", np.full((4, 8, 3), np.nan, np.float32)),
    }.items():
        (work / name).mkdir()
        for clip in ("s_a", "s_b"):
            shutil.copy(work / "data" / "vertices_npy" / f"{clip}.npy", work / name)
        if change:
            change(work / name)
    shutil.copytree(work / "data", work / "data_nan")
    gt = np.load(work / "data_nan" / "vertices_npy" / "s_a.npy")
    gt[0, 0] = np.nan
    np.save(work / "data_nan" / "vertices_npy" / "s_a.npy", gt)
    (work / "data_badmeta").mkdir()
    (work / "data_badmeta" / "meta.json").write_text("[1, 2, 3]")
    subprocess.run(
        [sys.executable, "-m", "selftalk", "train", "--preset", "tiny", "--data", str(work / "data"),
         "--out", str(work / "run"), "--train-split", "test", "--val-split", "none",
         "--no-progress", "train.epochs=2", "loss.lat=0", "loss.ctc=0"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    steps = sorted((work / "run" / "checkpoints").glob("step-*"))
    for name, damage in {
        "run_trunc": lambda c: (c / "model" / "model.safetensors").write_bytes(b"\x10\0\0"),
        "run_badstate": lambda c: (c / "state.json").write_text('{"state": [1'),
        "run_best_outside": lambda c: (c.parent / "best.json").write_text(
            json.dumps({"name": str(work / "model")})
        ),
    }.items():
        shutil.copytree(work / "run", work / name)
        damage(work / name / "checkpoints" / steps[-1].name)
    # raw releases
    h.raw_vocaset(work / "raw")
    h.raw_vocaset(work / "raw_badname", subject="bad/name")
    h.raw_vocaset(work / "raw_badrate", sample_rate="fast")
    h.raw_vocaset(work / "raw_empty", audio_samples=0)
    h.raw_vocaset(work / "raw_bomb")
    shutil.copy(work / "bomb.pkl", work / "raw_bomb" / "templates.pkl")
    h.raw_vocaset(work / "raw_code")
    shutil.copy(work / "code.pkl", work / "raw_code" / "raw_audio_fixed.pkl")
    biwi = work / "biwi"
    (biwi / "faces" / "F1").mkdir(parents=True)
    (biwi / "rigid_scans").mkdir()
    (biwi / "videos").mkdir()
    h.tgz_bomb(biwi / "faces" / "F1" / "e01.tgz", member_bytes=2**31)
    from selftalk.mesh import read_mesh, write_mesh

    head = read_mesh(work / "head.ply")
    write_mesh(biwi / "rigid_scans" / "F1.obj", head.vertices, head.faces)
    (biwi / "videos" / "F1_e01.flv").write_bytes(b"a video: only its presence matters here")
    # import-official
    h.garbage(work / "garbage.pth")
    np.save(work / "lips.npy", np.arange(254))
    h.empty_array_pickle(work / "empty_array.pkl")


def _read(directory: Path) -> dict:
    return json.loads((directory / "config.json").read_text())


def _config(directory: Path, **changes) -> None:
    (directory / "config.json").write_text(json.dumps({**_read(directory), **changes}))


def _weights(directory: Path, change) -> None:
    from safetensors.torch import load_file, save_file

    state = load_file(str(directory / "model.safetensors"))
    change(state)
    save_file(state, str(directory / "model.safetensors"))


# --------------------------------------------------------------------------- the cases


def cases() -> list[Case]:
    c: list[Case] = []

    def add(verb, name, argv, names=(), **kw):
        c.append(Case(verb, name, [str(a) for a in argv], [str(n) for n in names], **kw))

    # predict
    p = ["predict"]
    add(
        "predict",
        "output is the input audio",
        [*p, "speech.flac", "-o", "speech.flac"],
        ["speech.flac"],
    )
    add("predict", "output is a hard link to the input", [*p, "speech.wav", "-o", "link.npy"], ["link.npy"],
        setup=lambda f: os.link(f / "speech.wav", f / "link.npy"))  # fmt: skip
    add("predict", "output is a folder", [*p, "speech.wav", "-o", "adir"], ["adir"])
    add("predict", "output under a file", [*p, "speech.wav", "-o", "afile/m.npy"], ["afile"])
    add("predict", "full disk", [*p, "speech.wav", "-o", "mnt/m.npy"], ["m.npy"], wrap="enospc")
    add(
        "predict",
        "read-only file system",
        [*p, "speech.wav", "-o", "mnt/m.npy"],
        ["m.npy"],
        wrap="readonly",
    )
    add(
        "predict",
        "folder not writable",
        [*p, "speech.wav", "-o", "locked/m.npy"],
        ["m.npy"],
        wrap="immutable",
    )
    add(
        "predict",
        "audio 3 ms long",
        [*p, "tick.wav", "--model", "model", "-o", "m.npy"],
        ["tick.wav"],
    )
    add(
        "predict",
        "truncated wav header",
        [*p, "trunc.wav", "--model", "model", "-o", "m.npy"],
        ["trunc.wav"],
    )
    add("predict", "0-byte audio", [*p, "empty.wav", "-o", "m.npy"], ["empty.wav"])
    add("predict", "text named .wav", [*p, "text.wav", "-o", "m.npy"], ["text.wav"])
    add("predict", "NaN samples", [*p, "nan.wav", "-o", "m.npy"], ["nan.wav"])
    add("predict", "audio is a folder", [*p, "adir", "-o", "m.npy"], ["adir"])
    add(
        "predict",
        "--window nan",
        [*p, "speech.wav", "-o", "m.npy", "--window", "nan"],
        ["--window"],
    )
    add("predict", "--window 0", [*p, "speech.wav", "-o", "m.npy", "--window", "0"], ["--window"])
    add("predict", "--window 0.01", [*p, "speech.wav", "--model", "model", "-o", "m.npy", "--window", "0.01"],
        ["window"])  # fmt: skip
    for model in ("model_list_config", "model_no_weights", "model_bad_weights", "model_missing_tensor",
                  "model_wrong_shape", "model_nan_weight", "model_empty_encoder", "model_huge_encoder",
                  "model_obj_templates", "model_small_template", "model_nan_mesh", "adir", "missing_model"):  # fmt: skip
        add(
            "predict",
            f"--model {model}",
            [*p, "speech.wav", "--model", model, "-o", "m.npy"],
            [model],
        )
    add("predict", "--template with NaN", [*p, "speech.wav", "--model", "model", "--template", "nan.obj",
        "-o", "m.npy"], ["nan.obj"])  # fmt: skip
    add("predict", "--template of another size", [*p, "speech.wav", "--model", "model", "--template",
        "head.ply", "-o", "m.npy"], ["head.ply"])  # fmt: skip
    add("predict", "--run with damaged best weights", [*p, "speech.wav", "--run", "run_trunc",
        "--checkpoint", "latest", "-o", "m.npy"], ["run_trunc"])  # fmt: skip
    add("predict", "--run whose best.json points outside", [*p, "speech.wav", "--run", "run_best_outside",
        "-o", "m.npy"], ["run_best_outside"], expect="ok")  # fmt: skip
    add(
        "predict",
        "stereo 44.1 kHz audio",
        [*p, "stereo44.wav", "--model", "model", "-o", "m.npy"],
        expect="ok",
    )
    add(
        "predict",
        "header claims 2 GiB",
        [*p, "lie.wav", "--model", "model", "-o", "m.npy"],
        expect="ok",
    )
    add("predict", "re-run over its own output", [*p, "speech.wav", "--model", "model", "-o", "m.npy"],
        expect="ok", setup=lambda f: _run_quiet(f, ["predict", "speech.wav", "--model", "model", "-o", "m.npy"]))  # fmt: skip
    # animate
    a = ["animate"]
    add("animate", "default output over the user's file", [*a, "speech.wav"], ["speech.mp4", "--force"],
        setup=lambda f: (f / "speech.mp4").write_bytes(b"user's video"))  # fmt: skip
    add("animate", "unknown suffix", [*a, "speech.wav", "-o", "out.xyz"], ["out.xyz"])
    add("animate", "output is the input", [*a, "speech.flac", "-o", "speech.flac"], ["speech.flac"])
    add("animate", "--size odd", [*a, "speech.wav", "--size", "511"], ["--size"])
    add("animate", "--window -1", [*a, "speech.wav", "--window", "-1"], ["--window"])
    add("animate", "audio missing", [*a, "missing.wav", "-o", "o.npy"], ["missing.wav"])
    add("animate", "glb audio over the user's wav", [*a, "speech.flac", "-o", "talk.glb"], ["talk.wav"],
        setup=lambda f: (f / "talk.wav").write_bytes(b"user's audio"))  # fmt: skip
    add(
        "animate",
        "--subject unknown",
        [*a, "speech.wav", "--subject", "nobody", "-o", "o.npy"],
        ["nobody"],
    )
    add("animate", "to .csv", [*a, "speech.wav", "-o", "o.csv"], expect="ok")
    # render
    r = ["render"]
    add("render", "output is the motion", [*r, "m.npy", "-o", "m.npy"], ["m.npy"])
    add("render", "output links to the motion", [*r, "m.npy", "-o", "m.mp4"], ["m.mp4"],
        setup=lambda f: os.symlink(f / "m.npy", f / "m.mp4"))  # fmt: skip
    add("render", "unknown suffix", [*r, "m.npy", "-o", "v.avi"], ["v.avi"])
    add("render", "--fps 0", [*r, "m.npy", "-o", "v.mp4", "--fps", "0"], ["--fps"])
    add("render", "--fps nan", [*r, "m.npy", "-o", "v.mp4", "--fps", "nan"], ["--fps"])
    add("render", "--fps 1e-300", [*r, "m.npy", "-o", "v.mp4", "--fps", "1e-300"], ["--fps"])
    add("render", "--size 0x0", [*r, "m.npy", "-o", "v.mp4", "--size", "0x0"], ["--size"])
    add("render", "--crf 99", [*r, "m.npy", "-o", "v.mp4", "--crf", "99"], ["--crf"])
    add("render", "NaN motion", [*r, "nan_m.npy", "-o", "v.mp4"], ["nan_m.npy"])
    add("render", "object motion", [*r, "obj.npy", "-o", "v.mp4"], ["obj.npy"])
    add("render", "0-byte motion", [*r, "empty.npy", "-o", "v.mp4"], ["empty.npy"])
    add("render", "header claims 40 GB", [*r, "huge.npy", "-o", "v.mp4"], ["huge.npy"])
    add("render", "motion of another size", [*r, "wrongv.npy", "-o", "v.mp4"], ["wrongv.npy"])
    add(
        "render",
        "--audio missing",
        [*r, "m.npy", "-o", "v.mp4", "--audio", "missing.wav"],
        ["missing.wav"],
    )
    add(
        "render",
        "--compare of another size",
        [*r, "m.npy", "-o", "v.mp4", "--compare", "wrongv.npy"],
        ["wrongv.npy"],
    )
    add("render", "SIGTERM while writing", [*r, "m.npy", "-o", "out/v.mp4", "--backend", "numpy"], expect="sigterm",
        setup=lambda f: np.save(f / "m.npy", np.repeat(np.load(f / "m.npy")[:1], 600, axis=0)))  # fmt: skip
    # export
    e = ["export"]
    add(
        "export", "output is the motion", [*e, "m.npy", "-o", "m.npy", "--format", "obj"], ["m.npy"]
    )
    add(
        "export",
        "--format and suffix disagree",
        [*e, "m.npy", "-o", "m.csv", "--format", "glb"],
        ["--format"],
    )
    add("export", "unknown suffix", [*e, "m.npy", "-o", "m.xyz"], ["m.xyz"])
    add("export", "--fps -30", [*e, "m.npy", "-o", "m.glb", "--fps", "-30"], ["--fps"])
    add(
        "export",
        "--smoothing nan",
        [*e, "m.npy", "-o", "m.csv", "--smoothing", "nan"],
        ["--smoothing"],
    )
    add(
        "export",
        "--max-components 0",
        [*e, "m.npy", "-o", "m.glb", "--max-components", "0"],
        ["--max-components"],
    )
    add(
        "export",
        "NaN basis",
        [*e, "m.npy", "-o", "m.csv", "--basis", "nan_basis.npz"],
        ["nan_basis.npz"],
    )
    add(
        "export",
        "pickled basis",
        [*e, "m.npy", "-o", "m.csv", "--basis", "obj_basis.npz"],
        ["obj_basis.npz"],
    )
    add("export", "NaN motion", [*e, "nan_m.npy", "-o", "m.glb"], ["nan_m.npy"])
    add(
        "export",
        "obj frames into a file",
        [*e, "m.npy", "-o", "afile", "--format", "obj"],
        ["afile"],
    )
    add("export", "glb audio over the user's wav", [*e, "m.npy", "-o", "talk.glb", "--audio", "speech.flac"],
        ["talk.wav"], setup=lambda f: (f / "talk.wav").write_bytes(b"user's audio"))  # fmt: skip
    add(
        "export",
        "glb audio is the input",
        [*e, "m.npy", "-o", "speech.glb", "--audio", "speech.wav"],
        expect="ok",
    )
    add(
        "export",
        "full disk",
        [*e, "m.npy", "-o", "mnt/frames", "--format", "obj"],
        ["mnt/frames"],
        wrap="enospc",
    )
    # lipsync
    ls = ["lipsync", "speech.wav", "--text", "hello"]
    add("lipsync", "--arkit suffix", [*ls, "-o", "m.npy", "--arkit", "w.xyz"], ["w.xyz"])
    add(
        "lipsync",
        "output is the audio",
        ["lipsync", "speech.wav", "--text", "hi", "-o", "speech.wav"],
        ["speech.wav"],
    )
    add("lipsync", "--arkit and -o the same", [*ls, "-o", "m.npy", "--arkit", "m.npy"], ["m.npy"])
    add("lipsync", "--fps 0", [*ls, "-o", "m.npy", "--fps", "0"], ["--fps"])
    add("lipsync", "--subject 0", [*ls, "-o", "m.npy", "--subject", "0"], ["--subject"])
    add(
        "lipsync",
        "--text empty",
        ["lipsync", "speech.wav", "--text", " ", "-o", "m.npy"],
        ["--text"],
    )
    add(
        "lipsync",
        "audio 3 ms",
        ["lipsync", "tick.wav", "--text", "a", "-o", "m.npy"],
        ["tick.wav"],
    )
    # metrics
    m = ["metrics", "--data", "data"]
    add("metrics", "0-byte prediction", [*m, "--pred", "pred_empty"], ["s_b.npy"])
    add("metrics", "NaN prediction", [*m, "--pred", "pred_nan"], ["s_b.npy"])
    add(
        "metrics",
        "NaN ground truth",
        ["metrics", "--data", "data_nan", "--pred", "pred"],
        ["s_a.npy"],
    )
    add("metrics", "--rho nan", [*m, "--pred", "pred", "--rho", "nan"], ["--rho"])
    add(
        "metrics",
        "--rho-for-lrp 0",
        [*m, "--pred", "pred", "--rho-for-lrp", "0"],
        ["--rho-for-lrp"],
    )
    add("metrics", "-o is a prediction", [*m, "--pred", "pred", "-o", "pred/s_a.npy"], ["s_a.npy"])
    add(
        "metrics",
        "--hypotheses is a folder",
        [*m, "--pred", "pred", "--hypotheses", "adir"],
        ["adir"],
    )
    add(
        "metrics",
        "meta.json a list",
        ["metrics", "--data", "data_badmeta", "--pred", "pred"],
        ["meta.json"],
    )
    add("metrics", "report", [*m, "--pred", "pred", "-o", "r.json"], expect="ok")
    # test
    t = ["test", "--data", "data"]
    add(
        "test",
        "output is the ground truth",
        [*t, "--run", "run", "-o", "data/vertices_npy"],
        ["vertices_npy"],
    )
    add("test", "output is a file", [*t, "--run", "run", "-o", "afile"], ["afile"])
    add("test", "model of another size", [*t, "--model", "model", "-o", "pred_out"], ["64", "8"])
    add(
        "test", "unknown split", [*t, "--run", "run", "--split", "nope", "-o", "pred_out"], ["nope"]
    )
    add(
        "test",
        "damaged run",
        [*t, "--run", "run_trunc", "--checkpoint", "latest", "-o", "pred_out"],
        ["run_trunc"],
    )
    # train
    tr = ["train", "--preset", "tiny", "--data", "data", "--out", "newrun", "--train-split", "test",
          "--val-split", "none", "--no-progress"]  # fmt: skip
    add("train", "train.lr=.inf", [*tr, "train.lr=.inf"], ["train.lr"])
    add(
        "train",
        "conv stride 0",
        [*tr, "model.animator.encoder.conv_stride=[0,8,8]"],
        ["conv_stride"],
    )
    add("train", "YAML error in an override", [*tr, "train.lr=["], ["train.lr"])
    add("train", "a value and sub-keys", [*tr, "train.lr=1", "train.lr.x=2"], ["train.lr"])
    add("train", "YAML alias bomb", [*tr, "--config", "bomb.yaml"], ["bomb.yaml"])
    add("train", "binary config", [*tr, "--config", "binary.yaml"], ["binary.yaml"])
    add("train", "config is a folder", [*tr, "--config", "adir"], ["adir"])
    add("train", "config is a list", [*tr, "--config", "list.yaml"], ["list.yaml"])
    add("train", "--out is a file", [*tr[:-7], "--out", "afile", *tr[-5:]], ["afile"])
    add(
        "train",
        "--data missing",
        ["train", "--preset", "tiny", "--data", "nodata", "--out", "newrun"],
        ["nodata"],
    )
    add("train", "resume after truncated weights", ["train", "--resume", "run_trunc", "--data", "data",
        "--train-split", "test", "--val-split", "none", "--no-progress", "train.epochs=3"], expect="ok")  # fmt: skip
    add("train", "resume after broken state.json", ["train", "--resume", "run_badstate", "--data", "data",
        "--train-split", "test", "--val-split", "none", "--no-progress", "train.epochs=3"], expect="ok")  # fmt: skip
    # train-recognizer
    trr = ["train-recognizer", "--data", "data", "--out", "rec"]
    add("train-recognizer", "lr=nan", [*trr, "lr=nan"], ["lr"])
    add("train-recognizer", "config is a folder", [*trr, "--config", "adir"], ["adir"])
    add("train-recognizer", "--tts -1", [*trr, "--tts", "-1"], ["--tts"])
    add(
        "train-recognizer",
        "--out is a file",
        ["train-recognizer", "--data", "data", "--out", "afile"],
        ["afile"],
    )
    add("train-recognizer", "unknown key", [*trr, "nonsense=1"], ["nonsense"])
    # synth
    add("synth", "--fps 0", ["synth", "out", "--fps", "0"], ["--fps"])
    add("synth", "--subjects -1", ["synth", "out", "--subjects", "-1"], ["--subjects"])
    add("synth", "--workers 0", ["synth", "out", "--workers", "0"], ["--workers"])
    add("synth", "OUT is a file", ["synth", "afile", "--small"], ["afile"])
    add("synth", "OUT holds another dataset", ["synth", "data", "--small", "--quiet"], ["data"])
    # prepare
    pv = ["prepare", "vocaset"]
    add(
        "prepare vocaset", "bad subject name", [*pv, "raw_badname", "-o", "out", "-q"], ["bad/name"]
    )
    add(
        "prepare vocaset",
        "non-numeric sample rate",
        [*pv, "raw_badrate", "-o", "out", "-q"],
        ["fast"],
    )
    add("prepare vocaset", "--fps 7", [*pv, "raw", "-o", "out", "-q", "--fps", "7"], ["fps"])
    add("prepare vocaset", "pickle bomb", [*pv, "raw_bomb", "-o", "out", "-q"], ["templates.pkl"])
    add(
        "prepare vocaset",
        "pickle that runs code",
        [*pv, "raw_code", "-o", "out", "-q"],
        ["raw_audio_fixed.pkl"],
    )
    add("prepare vocaset", "output is the raw folder", [*pv, "raw", "-o", "raw", "-q"], ["raw"])
    add("prepare vocaset", "missing release", [*pv, "nothing", "-o", "out", "-q"], ["nothing"])
    add("prepare vocaset", "an empty clip", [*pv, "raw_empty", "-o", "out", "-q"], expect="ok")
    add(
        "prepare biwi",
        "tgz bomb",
        ["prepare", "biwi", "biwi", "-o", "out", "-q"],
        ["e01.tgz"],
        expect="report",
    )
    add(
        "prepare biwi",
        "--fps 7",
        ["prepare", "biwi", "biwi", "-o", "out", "--fps", "7", "-q"],
        ["fps"],
    )
    # data check
    add("data check", "missing folder", ["data", "check", "nodata", "-q"], ["nodata"])
    add(
        "data check",
        "--tolerance nan",
        ["data", "check", "data", "--tolerance", "nan", "-q"],
        ["--tolerance"],
    )
    add(
        "data check",
        "NaN ground truth",
        ["data", "check", "data_nan", "-q"],
        ["s_a"],
        expect="report",
    )
    # import-official
    io_ = ["import-official", "garbage.pth", "--preset", "vocaset-official", "-o", "imported"]
    add("import-official", "--lips object array", [*io_, "--lips", "obj.npy"], ["obj.npy"])
    add("import-official", "--lips text named .npy", [*io_, "--lips", "text.npy"], ["text.npy"])
    add("import-official", "--lips pickle bomb", [*io_, "--lips", "bomb.pkl"], ["bomb.pkl"])
    add("import-official", "--templates pickle that runs code", [*io_, "--lips", "lips.npy", "--templates",
        "code.pkl"], ["code.pkl"])  # fmt: skip
    add("import-official", "garbage checkpoint", [*io_, "--lips", "lips.npy"], ["garbage.pth"])
    add("import-official", "output is the checkpoint", ["import-official", "garbage.pth", "--preset",
        "vocaset-official", "--lips", "lips.npy", "-o", "garbage.pth"], ["garbage.pth"])  # fmt: skip
    add(
        "import-official",
        "--set bad",
        [*io_, "--lips", "lips.npy", "--set", "model.fps=nan"],
        ["model.fps"],
    )
    return c


def _run_quiet(folder: Path, argv: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "selftalk", *argv], cwd=folder, env=_ENV,
                   capture_output=True, check=False)  # fmt: skip


_ENV: dict = {}


# --------------------------------------------------------------------------- running


def snapshot(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file (folders as 'dir'), links not followed."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def wrapped(case: Case, folder: Path, command: list[str]) -> list[str] | None:
    if case.wrap is None:
        return command
    if case.wrap == "immutable":
        (folder / "locked").mkdir()
        if subprocess.run(["chattr", "+i", str(folder / "locked")], capture_output=True).returncode:
            return None
        return command
    if shutil.which("unshare") is None:
        return None
    (folder / "mnt").mkdir()
    options = "size=64k" if case.wrap == "enospc" else "ro,size=64k"
    script = f'mount -t tmpfs -o {options} tmpfs mnt && exec "$@"'
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True
    )
    if probe.returncode:
        return None
    return ["unshare", "-m", "sh", "-c", script, "sh", *command]


def run_case(case: Case, work: Path, scratch: Path, limits: argparse.Namespace) -> dict:
    folder = scratch / f"{len(list(scratch.iterdir())):03d}"
    shutil.copytree(work, folder, symlinks=True)
    if case.setup is not None:
        case.setup(folder)
    command = wrapped(case, folder, [sys.executable, "-m", "selftalk", *case.argv])
    if command is None:
        return {"verb": case.verb, "case": case.name, "skipped": "needs unshare/chattr"}
    before = snapshot(folder)

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (limits.max_as_gb << 30, limits.max_as_gb << 30))

    start = time.perf_counter()
    logs = folder.parent / f"{folder.name}.out", folder.parent / f"{folder.name}.err"
    with open(logs[0], "w") as out, open(logs[1], "w") as err:
        process = subprocess.Popen(
            command, cwd=folder, env=_ENV, stdout=out, stderr=err, preexec_fn=limit_memory
        )
    timer = threading.Timer(limits.timeout, process.kill)
    timer.start()
    if case.expect == "sigterm":
        out_dir = folder / "out"
        while timer.is_alive() and _running(process.pid):
            if out_dir.is_dir() and any(".tmp" in p.name for p in out_dir.iterdir()):
                process.send_signal(signal.SIGTERM)
                break
            time.sleep(0.02)
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
    timer.cancel()
    process.returncode = code = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    rss_mb = usage.ru_maxrss // 1024
    stdout, stderr = (p.read_text(errors="replace") for p in logs)
    if case.wrap == "immutable":
        subprocess.run(["chattr", "-i", str(folder / "locked")], capture_output=True)
    after = snapshot(folder)
    failed = judge(case, code, stdout, stderr, before, after, rss_mb, limits)
    result = {
        "verb": case.verb,
        "case": case.name,
        "expect": case.expect,
        "well": not failed,
        "failed": failed,
        "exit": process.returncode,
        "stderr": stderr.strip().splitlines()[-1][:300] if stderr.strip() else "",
        "seconds": round(seconds, 2),
        "peak_rss_mb": rss_mb,
    }
    shutil.rmtree(folder, ignore_errors=True)
    return result


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (without reaping it, so wait4 can read its memory)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def judge(case, code, stdout, stderr, before, after, rss_mb, limits) -> list[str]:
    failed = []
    lines = [line for line in stderr.splitlines() if line.strip()]
    if "Traceback" in stderr:
        failed.append("traceback")
    changed = [k for k, v in before.items() if after.get(k) != v]
    if case.expect == "ok":  # a run that works replaces its own -o and continues its --resume
        mine = [case.argv[case.argv.index(f) + 1] for f in ("-o", "--resume") if f in case.argv]
        changed = [k for k in changed if not any(k == m or k.startswith(m + "/") for m in mine)]
    if changed:
        failed.append(f"inputs changed: {', '.join(changed[:3])}")
    if rss_mb > limits.max_rss_mb:
        failed.append(f"peak memory {rss_mb} MB")
    if case.expect == "ok":
        if code != 0:
            failed.append(f"exit {code}: {lines[-1][:160] if lines else ''}")
        return failed
    if case.expect == "sigterm":
        if code != 128 + signal.SIGTERM:
            failed.append(f"exit {code} after SIGTERM")
    elif case.expect == "report":
        if code != 1:
            failed.append(f"exit {code}, expected 1 (problems reported)")
        if not all(n in stdout + stderr for n in case.names):
            failed.append(f"does not name {case.names}")
    else:
        if code is None or code <= 0 or code > 128:
            failed.append(f"exit {code}")
        verb = f"selftalk {case.verb}: error: "
        errors = [line for line in lines if not line.startswith(f"selftalk {case.verb}: warning")]
        if len(errors) != 1 or not errors[0].startswith(verb):
            failed.append(f"not one error line ({len(errors)} lines)")
        elif not all(n in errors[0] for n in case.names):
            failed.append(f"does not name {case.names}")
    new = [k for k in after if k not in before]
    if new and case.expect != "report":
        failed.append(f"left behind: {', '.join(new[:3])}")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the selftalk src to run")
    parser.add_argument("--only", nargs="+", help="run only these verbs")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/hostile_inputs.json")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--max-rss-mb", type=int, default=1536)
    parser.add_argument("--max-as-gb", type=int, default=6, help="address-space limit per run")
    args = parser.parse_args()
    _ENV.update(os.environ, PYTHONPATH=str(args.src.resolve()), OMP_NUM_THREADS="1")
    sys.path.insert(0, str(args.src.resolve()))  # the inputs are made by the code under test
    selected = [c for c in cases() if not args.only or c.verb in args.only]
    results = []
    with tempfile.TemporaryDirectory(prefix="selftalk-hostile-") as tmp:
        work, scratch = Path(tmp) / "inputs", Path(tmp) / "runs"
        work.mkdir()
        scratch.mkdir()
        start = time.perf_counter()
        make_inputs(work, _ENV)
        print(f"inputs made in {time.perf_counter() - start:.0f} s; {len(selected)} cases")
        for case in selected:
            result = run_case(case, work, scratch, args)
            results.append(result)
            mark = "skip" if "skipped" in result else ("ok  " if result["well"] else "BAD ")
            print(f"{mark} {case.verb:17} {case.name:42} {'; '.join(result.get('failed', []))}")
    ran = [r for r in results if "skipped" not in r]
    by_verb: dict[str, dict[str, int]] = {}
    for r in ran:
        entry = by_verb.setdefault(r["verb"], {"well": 0, "badly": 0})
        entry["well" if r["well"] else "badly"] += 1
    summary = {
        "cases": len(ran),
        "handled_well": sum(r["well"] for r in ran),
        "handled_badly": sum(not r["well"] for r in ran),
        "skipped": len(results) - len(ran),
        "verbs": len(by_verb),
    }
    report = {
        "benchmark": "hostile_inputs",
        "src": str(args.src),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "criteria": CRITERIA,
        "limits": {"max_rss_mb": args.max_rss_mb, "timeout_s": args.timeout},
        "summary": summary,
        "by_verb": by_verb,
        "cases": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(summary), f"→ {args.out}")


if __name__ == "__main__":
    main()
