import hashlib
import json

import numpy as np
import pytest
import soundfile
from fakespeech import FakeBackend

from selftalk.arkit import ALPHABETICAL
from selftalk.mesh import read_mesh
from selftalk.synth.corpus import build_corpus, check_frames, small_options
from selftalk.synth.head import load_head
from selftalk.topology import Topology, read_indices


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "small"
    summary = build_corpus(out, FakeBackend(), small_options(seed=7), progress=False)
    return out, summary


def _digest(root):
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "meta.json":
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    meta = json.loads((root / "meta.json").read_text())
    meta["synthtalk"].pop("build_seconds")
    meta["synthtalk"]["options"].pop("workers")
    h.update(json.dumps(meta, sort_keys=True).encode())
    return h.hexdigest()


def test_deterministic_across_worker_counts(corpus, tmp_path):
    out, _ = corpus
    again = tmp_path / "again"
    build_corpus(again, FakeBackend(), small_options(seed=7, workers=2), progress=False)
    assert _digest(out) == _digest(again)
    other = tmp_path / "other"
    build_corpus(other, FakeBackend(), small_options(seed=8), progress=False)
    assert _digest(out) != _digest(other)


def test_layout_follows_the_data_format(corpus):
    out, summary = corpus
    meta = json.loads((out / "meta.json").read_text())
    assert meta["format"] == "selftalk-dataset" and meta["version"] == 1
    assert meta["file_fps"] % meta["fps"] == 0
    head = load_head()
    assert meta["n_vertices"] == head.n_vertices
    assert meta["arkit_names"] == list(ALPHABETICAL)
    mesh = read_mesh(out / "mesh.ply")
    assert mesh.vertices.shape == (head.n_vertices, 3) and len(mesh.faces) == len(head.faces)
    with np.load(out / "templates.npz", allow_pickle=False) as t:
        templates = {k: t[k] for k in t.files}
    assert sorted(templates) == sorted(meta["subjects"])
    lips = read_indices(out / "regions" / "lve.txt")
    np.testing.assert_array_equal(lips, head.regions["lips"])
    topology = Topology.from_dataset(out)
    assert topology.n_vertices == head.n_vertices and len(topology.upper_face_indices)

    assert len(meta["clips"]) == summary["n_clips"] == 12
    for clip, info in meta["clips"].items():
        subject, sentence = clip.rsplit("_", 1)
        assert subject == info["subject"] and "_" not in sentence
        vertices = np.load(out / "vertices_npy" / f"{clip}.npy", allow_pickle=False)
        weights = np.load(out / "arkit" / f"{clip}.npy", allow_pickle=False)
        audio, rate = soundfile.read(out / "wav" / f"{clip}.wav")
        assert vertices.dtype == np.float32 and vertices.shape == (
            len(weights),
            head.n_vertices * 3,
        )
        assert weights.shape[1] == 52 and weights.min() >= 0 and weights.max() <= 1
        # frames and audio agree
        assert abs(len(weights) / meta["fps"] - len(audio) / rate) <= 0.5 / meta["fps"]
        assert check_frames(info, meta["fps"])
        # the vertices are the weights applied to the subject's template
        expected = templates[subject].reshape(1, -1) + weights @ head.blendshapes.reshape(52, -1)
        np.testing.assert_allclose(vertices, expected, atol=2e-6)
        phones = info["phones"]
        assert phones[0][1] == 0 and abs(phones[-1][2] - info["duration"]) < 1e-3
        assert info["transcript"] and info["voice"] and info["source"] in {"tts", "recorded"}


def test_splits(corpus):
    out, summary = corpus
    meta = json.loads((out / "meta.json").read_text())
    splits = json.loads((out / "splits.json").read_text())
    assert {"train", "val", "test", "test_voices", "test_recorded"} <= set(splits)
    roles = {}
    for name in ("train", "val", "test"):
        for subject in splits[name]:
            roles.setdefault(subject, set()).add(name)
    assert all(len(r) == 1 for r in roles.values())  # a subject is in one of train/val/test
    assert set(splits["val"]).isdisjoint(splits["train"]) and splits["test"]
    used = {}
    for name, split in splits.items():
        for subject, sentences in split.items():
            for s in sentences:
                clip = f"{subject}_{s}"
                assert clip in meta["clips"]
                assert clip not in used, (clip, name, used.get(clip))
                used[clip] = name
    heard_in_training = {
        meta["clips"][c]["voice"] for c, n in used.items() if n in ("train", "val", "test")
    }
    held = {meta["clips"][c]["voice"] for c, n in used.items() if n == "test_voices"}
    assert held and held.isdisjoint(heard_in_training)
    assert set(summary["held_out_voices"]) == held
    recorded = [c for c, n in used.items() if n == "test_recorded"]
    assert recorded and all(meta["clips"][c]["source"] == "recorded" for c in recorded)
    train_prompts = {meta["clips"][c].get("prompt") for c, n in used.items() if n == "train"}
    assert all(meta["clips"][c]["prompt"] not in train_prompts for c in recorded)


def test_data_check_accepts_the_corpus(corpus):
    """The dataset checker, once the data package has it."""
    check = pytest.importorskip("selftalk.data.check")
    out, _ = corpus
    report = check.check_dataset(out)
    assert report.ok, report


class _FlakyBackend(FakeBackend):
    """Its first prompt cannot be aligned."""

    def recording(self, prompt_id):
        from selftalk.errors import SelfTalkError

        if prompt_id == self._prompts[0][0]:
            raise SelfTalkError("cannot align")
        return super().recording(prompt_id)


def test_unalignable_prompt_falls_back_to_another(tmp_path):
    out = tmp_path / "c"
    summary = build_corpus(
        out, _FlakyBackend(), small_options(seed=7, recorded_share=1.0), progress=False
    )
    assert summary["failed"] == {} and summary["n_clips"] == 12
    meta = json.loads((out / "meta.json").read_text())
    prompts = [c["prompt"] for c in meta["clips"].values() if c["source"] == "recorded"]
    assert prompts and "prompt/0" not in prompts
