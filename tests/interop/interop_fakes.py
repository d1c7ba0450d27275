"""Fake dataset folders in the layouts of the field's repositories, and fake predictions.

Each builder writes what the repository's loaders read (checked against FaceFormer's
``data_loader.py``, CodeTalker's ``BIWI/README.md`` and ``main/cal_metric.py``,
SelfTalk_release's ``SelfTalk.py`` and UniTalker's ``dataset/dataset.py``), with tiny
meshes and random motion. Every builder returns the ground truth as the field's loaders
see it: {clip: (T, V, 3) at the models' frame rate}, plus templates and regions.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import soundfile

V = 30
LIP = np.array([2, 5, 6, 9, 11, 17])
UPPER = np.array([0, 1, 3, 20, 21, 25, 29])
FLAME_FOREHEAD = np.array([0, 1, 3, 20])
FLAME_EYES = np.array([3, 21, 25, 29])  # overlaps the forehead in vertex 3, as FLAME's do

VOCA_TEST = ("FaceTalk_170809_00138_TA", "FaceTalk_170731_00024_TA")
VOCA_TRAIN = ("FaceTalk_170728_03272_TA",)


def _tone(path: Path, seconds: float, rate: int = 16000) -> None:
    t = np.arange(max(1, int(seconds * rate))) / rate
    soundfile.write(str(path), (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)


def _write_clips(root, clips, *, file_step, fps, rng, templates, wav=True):
    """vertices_npy/{clip}.npy at fps*file_step (and wav/); returns {clip: used frames}."""
    (root / "vertices_npy").mkdir(parents=True)
    if wav:
        (root / "wav").mkdir()
    gt = {}
    for clip, frames in clips.items():
        subject = clip.rpartition("_")[0]
        stored = templates[subject][None] + 0.02 * rng.normal(size=(frames * file_step, V, 3))
        stored = stored.astype(np.float32)
        np.save(root / "vertices_npy" / f"{clip}.npy", stored.reshape(len(stored), -1))
        gt[clip] = stored[::file_step]
        if wav:
            _tone(root / "wav" / f"{clip}.wav", frames / fps)
    return gt


def _templates(rng, subjects):
    return {s: rng.normal(size=(V, 3)).astype(np.float32) for s in subjects}


def _write_templates_pkl(path: Path, templates) -> None:
    with open(path, "wb") as f:  # as the field's templates.pkl: a plain dict of arrays
        pickle.dump({s: t.astype(np.float64) for s, t in templates.items()}, f, protocol=2)


def _write_ply(path: Path, vertices) -> None:
    from selftalk.mesh import write_mesh

    path.parent.mkdir(parents=True, exist_ok=True)
    write_mesh(path, vertices, np.array([[0, 1, 2], [2, 3, 4]]))


def codetalker_biwi(
    root: Path, *, seed: int = 0, frames=None, regions: bool = True, full_test_a: bool = False
) -> dict:
    """CodeTalker's ``BIWI/``: wav/, vertices_npy/ (25 fps), templates.pkl, regions/, BIWI.ply.

    Clips: Test-A (F2, M3 with e37, e38), training (F2_e01) and Test-B (F1_e37); with
    ``full_test_a`` the whole Test-A (24 clips) too.
    """
    rng = np.random.default_rng(seed)
    names = ["F2_e01", "F2_e37", "F2_e38", "M3_e37", "M3_e38", "F1_e37"]
    subjects = ("F2", "M3", "F1")
    if full_test_a:
        subjects = ("F2", "F3", "F4", "M3", "M4", "M5", "F1")
        names = ["F2_e01", "F1_e37"] + [f"{s}_e{n}" for s in subjects[:6] for n in range(37, 41)]
    frames = frames or {n: int(f) for n, f in zip(names, rng.integers(3, 12, size=len(names)))}
    templates = _templates(rng, subjects)
    gt = _write_clips(root, frames, file_step=1, fps=25, rng=rng, templates=templates)
    _write_templates_pkl(root / "templates.pkl", templates)
    if regions:
        (root / "regions").mkdir()
        (root / "regions" / "lve.txt").write_text(", ".join(map(str, LIP)))
        (root / "regions" / "fdd.txt").write_text(", ".join(map(str, UPPER)))
    _write_ply(root / "BIWI.ply", templates["F2"])
    test_a = sorted(n for n in names if n[:2] != "F1" and n.endswith(("37", "38", "39", "40")))
    return {"gt": gt, "templates": templates, "lip": LIP, "upper": UPPER, "test_a": test_a}


def selftalk_biwi(root: Path, *, seed: int = 0) -> dict:
    """SelfTalk_release's ``BIWI/``: CodeTalker's, plus BIWI_lip.pkl (a pickled index list)."""
    ds = codetalker_biwi(root, seed=seed, regions=False)
    with open(root / "BIWI_lip.pkl", "wb") as f:
        pickle.dump(LIP.tolist(), f, protocol=2)
    return ds


def faceformer_vocaset(root: Path, *, seed: int = 0, masks: bool = False) -> dict:
    """FaceFormer's ``vocaset/``: wav/, vertices_npy/ at 60 fps, templates.pkl, templates/*.ply.

    With ``masks``, SelfTalk_release's addition: FLAME_masks.pkl (lips, forehead, eye_region).
    Clips: VOCA-Test sentences 21 and 22 of both test subjects, and a training clip.
    """
    rng = np.random.default_rng(seed)
    names = [f"{s}_sentence{n:02d}" for s in VOCA_TEST for n in (21, 22)]
    names += [f"{VOCA_TRAIN[0]}_sentence01", f"{VOCA_TEST[0]}_sentence02"]
    frames = dict(zip(names, (7, 5, 9, 3, 6, 4)))
    templates = _templates(rng, VOCA_TEST + VOCA_TRAIN)
    gt = _write_clips(root, frames, file_step=2, fps=30, rng=rng, templates=templates)
    _write_templates_pkl(root / "templates.pkl", templates)
    _write_ply(root / "templates" / "FLAME_sample.ply", templates[VOCA_TEST[0]])
    if masks:
        flame = {"lips": LIP, "forehead": FLAME_FOREHEAD, "eye_region": FLAME_EYES, "nose": [1]}
        with open(root / "FLAME_masks.pkl", "wb") as f:
            pickle.dump(flame, f, protocol=2)
    upper = np.union1d(FLAME_FOREHEAD, FLAME_EYES)
    test = [n for n in names[:4]]
    return {"gt": gt, "templates": templates, "lip": LIP, "upper": upper, "test": test}


def unitalker_biwi(root: Path, *, seed: int = 0) -> dict:
    """UniTalker's ``D0_BIWI/``: train.json / test.json, id_template.npy, motion at 25 fps."""
    rng = np.random.default_rng(seed)
    ids = ["F2", "M3"]
    templates = _templates(rng, ids)
    items = {"train": [("F2_e01", 0, 7)], "test": [("F2_e37", 0, 6), ("M3_e37", 1, 9)]}
    (root / "annot").mkdir(parents=True)
    (root / "audio").mkdir()
    gt = {}
    for split, entries in items.items():
        data = []
        for clip, identity, frames in entries:
            motion = templates[ids[identity]][None] + 0.02 * rng.normal(size=(frames, V, 3))
            np.save(root / "annot" / f"{clip}.npy", motion.astype(np.float32).reshape(frames, -1))
            _tone(root / "audio" / f"{clip}.wav", frames / 25)
            gt[clip] = motion.astype(np.float32)
            data.append(
                {
                    "annot_path": f"annot/{clip}.npy",
                    "audio_path": f"audio/{clip}.wav",
                    "id": identity,
                    "annot_type": "BIWI_23370_vertices",
                    "dataset": "D0",
                    "fps": 25,
                }
            )
        (root / f"{split}.json").write_text(json.dumps({"info": {"id_list": ids}, "data": data}))
    np.save(root / "id_template.npy", np.stack([templates[s].reshape(-1) for s in ids]))
    (root / "regions").mkdir()
    (root / "regions" / "lve.txt").write_text(", ".join(map(str, LIP)))
    (root / "regions" / "fdd.txt").write_text(", ".join(map(str, UPPER)))
    return {
        "gt": gt,
        "templates": templates,
        "lip": LIP,
        "upper": UPPER,
        "test": ["F2_e37", "M3_e37"],
    }


def predict(
    gt: dict, pred_dir: Path, clips, *, seed: int = 1, noise: float = 0.01, extra=0, name=None
):
    """Noisy copies of the ground truth, ``extra`` frames longer; written as
    ``name(clip)`` (default ``{clip}``) ``.npy``. Returns {clip: prediction}."""
    rng = np.random.default_rng(seed)
    pred_dir.mkdir(parents=True, exist_ok=True)
    out = {}
    for clip in clips:
        g = gt[clip]
        p = np.concatenate([g, g[-1:].repeat(extra, 0)]) + noise * rng.normal(
            size=(len(g) + extra, V, 3)
        )
        p = p.astype(np.float32)
        np.save(pred_dir / f"{(name or (lambda c: c))(clip)}.npy", p.reshape(len(p), -1))
        out[clip] = p
    return out
