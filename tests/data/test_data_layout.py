"""The processed layout: clip names, meta.json, templates, and the writer's guarantees."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import python2_pickle
import soundfile
from data_helpers import CLIPS, build_dataset

from selftalk.data.layout import (
    DatasetLayout,
    DatasetMeta,
    DatasetWriter,
    clip_name,
    read_meta,
    read_templates,
    split_clip_name,
)
from selftalk.data.safe_pickle import UnsafePickleError
from selftalk.errors import InputError


def test_clip_names_split_at_the_last_underscore():
    assert split_clip_name("FaceTalk_170728_03272_TA_sentence01") == (
        "FaceTalk_170728_03272_TA",
        "sentence01",
    )
    assert split_clip_name("F2_e01") == ("F2", "e01")
    assert (
        clip_name("FaceTalk_170728_03272_TA", "sentence01") == "FaceTalk_170728_03272_TA_sentence01"
    )
    for bad in ("nounderscore", "_e01", "F2_"):
        with pytest.raises(ValueError):
            split_clip_name(bad)
    with pytest.raises(ValueError, match="without '_'"):
        clip_name("F2", "e_01")


def test_written_dataset_reads_back(tmp_path):
    written = build_dataset(tmp_path)
    layout = DatasetLayout(tmp_path)
    assert layout.clips() == ["alice_s01", "alice_s02", "bob_s01"]
    meta = layout.meta
    assert (meta.name, meta.fps, meta.file_fps, meta.n_vertices, meta.frame_step) == (
        "tiny",
        30,
        60,
        6,
        2,
    )
    assert meta.subjects == ["alice", "bob"]
    assert meta.clips["alice_s01"] == {"transcript": "hi"} and meta.extra == {"source": "tests"}
    for subject, template in layout.templates().items():
        np.testing.assert_array_equal(template, written["templates"][subject])
    for (subject, sentence), (audio, rate, motion) in (
        (k, v) for k, v in written.items() if k != "templates"
    ):
        got = np.load(layout.vertices_path(f"{subject}_{sentence}"))
        np.testing.assert_array_equal(got, motion.reshape(len(motion), -1))
        samples, got_rate = soundfile.read(
            layout.audio_path(f"{subject}_{sentence}"), dtype="float32"
        )
        assert got_rate == rate
        np.testing.assert_array_equal(samples, audio)  # float samples stored as float
    assert layout.splits() == {"train": {"alice": ["s01", "s02"]}, "test": {"bob": ["s01"]}}
    topology = layout.topology()
    assert topology.n_vertices == 6 and list(topology.lip_indices) == [1, 2, 3]


def test_int16_audio_is_stored_exactly(tmp_path):
    writer = DatasetWriter(tmp_path, name="x", fps=25)
    samples = (np.arange(-500, 500) * 30).astype(np.int16)
    writer.write_audio("a", "s1", samples, 22000)
    got, rate = soundfile.read(writer.audio_path("a", "s1"), dtype="int16")
    assert rate == 22000 and soundfile.info(writer.audio_path("a", "s1")).subtype == "PCM_16"
    np.testing.assert_array_equal(got, samples)


def test_writer_skips_existing_files_unless_overwrite(tmp_path):
    build_dataset(tmp_path)
    writer = DatasetWriter(tmp_path, name="tiny", fps=30, file_fps=60)
    motion = np.zeros((4, 6, 3), np.float32)
    assert (
        writer.write_clip(
            "alice", "s01", audio=np.zeros(100, np.float32), sample_rate=16000, vertices=motion
        )
        is False
    )
    assert np.load(tmp_path / "vertices_npy/alice_s01.npy").shape == (CLIPS["alice", "s01"][0], 18)
    writer = DatasetWriter(tmp_path, name="tiny", fps=30, file_fps=60, overwrite=True)
    assert writer.write_clip(
        "alice", "s01", audio=np.zeros(100, np.float32), sample_rate=16000, vertices=motion
    )
    assert np.load(tmp_path / "vertices_npy/alice_s01.npy").shape == (4, 18)


def test_writer_refuses_inconsistent_vertex_counts(tmp_path):
    writer = DatasetWriter(tmp_path, name="x", fps=25)
    writer.write_templates({"a": np.zeros((5, 3))})
    with pytest.raises(ValueError, match="4 vertices, the dataset 5"):
        writer.write_vertices("a", "s1", np.zeros((3, 4, 3)))
    with pytest.raises(ValueError, match="outside"):
        writer.write_regions(lip=[0, 5])
    with pytest.raises(ValueError, match="not a whole multiple"):
        DatasetWriter(tmp_path, name="x", fps=30, file_fps=45)


def test_finish_merges_clip_info_of_earlier_runs(tmp_path):
    build_dataset(tmp_path)
    writer = DatasetWriter(tmp_path, name="tiny", fps=30, file_fps=60)
    writer.add_clip_info("bob", "s01", {"voice": "kal"})
    meta = writer.finish()
    assert meta.clips["alice_s01"] == {"transcript": "hi"}
    assert meta.clips["bob_s01"] == {"transcript": "hi", "voice": "kal"}
    assert read_meta(tmp_path).extra == {"source": "tests"}
    with pytest.raises(ValueError, match="may not set fps"):
        writer.finish({"fps": 3})


def test_no_temporary_files_are_left(tmp_path):
    build_dataset(tmp_path)
    assert [p for p in tmp_path.rglob("*") if p.name.startswith(".") or ".tmp" in p.name] == []


def test_legacy_templates_pickle_is_read_safely(tmp_path):
    templates = {"F2": np.random.default_rng(0).standard_normal((4, 3))}
    python2_pickle.dump(templates, tmp_path / "templates.pkl")
    got = read_templates(tmp_path / "templates.pkl")
    np.testing.assert_allclose(got["F2"], templates["F2"].astype(np.float32))

    build_dataset(tmp_path / "d")
    (tmp_path / "d/templates.npz").unlink()
    python2_pickle.dump(
        {"alice": np.zeros(18), "bob": np.ones((6, 3))}, tmp_path / "d/templates.pkl"
    )
    layout = DatasetLayout(tmp_path / "d")
    assert layout.templates_path.name == "templates.pkl"
    assert layout.templates()["alice"].shape == (6, 3)


class _Touch:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.path}",))


def test_a_malicious_legacy_pickle_creates_nothing(tmp_path):
    marker = tmp_path / "created"
    (tmp_path / "templates.pkl").write_bytes(pickle.dumps({"a": _Touch(marker)}, protocol=0))
    with pytest.raises(UnsafePickleError, match="system"):
        read_templates(tmp_path / "templates.pkl")
    assert not marker.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"fps": 0}, "fps must be a positive number"),
        ({"fps": 30, "file_fps": 50}, "not a whole multiple"),
        ({"n_vertices": "many"}, "n_vertices must be a positive integer"),
        ({"format": "other"}, "format is 'other'"),
        ({"version": 99}, "newer"),
        ({"subjects": "alice"}, "subjects must be a list"),
    ],
)
def test_invalid_meta_is_an_input_error(tmp_path, change, message):
    meta = DatasetMeta(name="x", fps=30, file_fps=60, n_vertices=5).to_json()
    meta.update(change)
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match=message):
        read_meta(tmp_path)


def test_missing_or_broken_meta_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_meta(tmp_path)
    (tmp_path / "meta.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_meta(tmp_path)
    with pytest.raises(InputError, match="no such dataset directory"):
        DatasetLayout(tmp_path / "absent")


def test_every_reader_reads_what_the_writer_wrote(tmp_path):
    """The metrics, the topology and the model loader read the layout through DatasetLayout."""
    from selftalk.data.layout import TopologyFiles
    from selftalk.metrics.groundtruth import EvaluationData
    from selftalk.topology import Topology

    written = build_dataset(tmp_path / "d")
    data = EvaluationData(tmp_path / "d")
    assert data.split_clips("test") == ["bob_s01"] and data.transcript("bob_s01") == "hi"
    assert (data.name, data.fps, data.frame_step) == ("tiny", 30, 2)
    _, _, motion = written["bob", "s01"]
    np.testing.assert_array_equal(data.ground_truth("bob_s01"), motion[::2])
    np.testing.assert_array_equal(data.template("bob_s01"), written["templates"]["bob"])
    assert list(data.lip_indices) == [1, 2, 3] and list(data.upper_face_indices) == [0, 5]
    topology = Topology.from_dataset(tmp_path / "d")
    assert (topology.name, topology.fps, list(topology.upper_face_indices)) == ("tiny", 30, [0, 5])

    TopologyFiles(tmp_path / "d").copy_to(tmp_path / "run")  # what a training run keeps
    run = TopologyFiles(tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "mesh.ply",
        "regions",
        "templates.npz",
    ]
    assert run.templates().keys() == written["templates"].keys()
    assert len(run.mesh().faces) == 3 and list(run.lip_indices()) == [1, 2, 3]
    assert TopologyFiles(tmp_path / "nothing").templates(missing_ok=True) == {}
    assert TopologyFiles(tmp_path / "nothing").mesh() is None


def test_pcm16_conversion_and_per_clip_arrays(tmp_path):
    writer = DatasetWriter(tmp_path, name="x", fps=25)
    samples = np.array([0.0, 0.5, -0.5, 2.0, -2.0], np.float32)
    writer.write_audio("a", "s1", samples, 16000, subtype="PCM_16")
    got, _ = soundfile.read(writer.audio_path("a", "s1"), dtype="int16")
    assert soundfile.info(writer.audio_path("a", "s1")).subtype == "PCM_16"
    assert got[3] == 32767 and got[4] <= -32767  # clipped, not wrapped
    weights = np.random.default_rng(0).random((4, 52)).astype(np.float32)
    assert writer.write_clip_array("arkit", "a", "s1", weights)
    assert not writer.write_clip_array("arkit", "a", "s1", weights * 0)  # kept: no overwrite
    writer.write_vertices("a", "s1", np.zeros((4, 2, 3)))
    writer.finish()
    layout = DatasetLayout(tmp_path)
    np.testing.assert_array_equal(np.load(layout.clip_array_path("arkit", "a_s1")), weights)
    assert layout.motion("a_s1").shape == (4, 2, 3)
    with pytest.raises(ValueError, match="folder"):
        writer.write_clip_array("vertices_npy", "a", "s1", weights)


def test_templates_are_told_apart_by_content_not_suffix(tmp_path):
    template = np.arange(12, dtype=np.float32).reshape(4, 3)
    DatasetWriter(tmp_path, name="x", fps=25).write_templates({"a": template})
    (tmp_path / "templates.npz").rename(tmp_path / "odd.pkl")
    np.testing.assert_array_equal(read_templates(tmp_path / "odd.pkl")["a"], template)
    python2_pickle.dump({"a": template.reshape(-1)}, tmp_path / "flat.npz")
    np.testing.assert_array_equal(read_templates(tmp_path / "flat.npz")["a"], template)


@pytest.mark.parametrize("content, message", [(b"", "empty"), (b"\x93NUMPY", "readable")])
def test_a_broken_motion_file_is_an_input_error(tmp_path, content, message):
    from selftalk.data.layout import open_motion

    (tmp_path / "m.npy").write_bytes(content)
    with pytest.raises(InputError, match=message):
        open_motion(tmp_path / "m.npy")
    np.save(tmp_path / "m.npy", np.zeros((3, 7), np.float32))
    with pytest.raises(InputError, match="V\\*3"):
        open_motion(tmp_path / "m.npy")


def test_only_the_layout_module_spells_the_layout_file_names():
    """One home: other modules take the layout's file names from selftalk.data.layout."""
    import ast
    from pathlib import Path

    import selftalk

    names = {"vertices_npy", "meta.json", "mesh.ply", "templates.npz", "splits.json"}
    names |= {"lve.txt", "fdd.txt", "regions", "templates.pkl"}
    allowed = {
        ("data/check.py", "regions"),  # a problem code of `data check`, not a path
        ("data/vocaset.py", "templates.pkl"),  # the VOCASET release's own file
        ("metrics/evaluate.py", "regions"),  # a key of the JSON report, not a path
    }
    root = Path(selftalk.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel == "data/layout.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                if (rel, node.value) not in allowed:
                    found.append(f"{rel}:{node.lineno} {node.value!r}")
    assert found == []
