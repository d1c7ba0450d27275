"""TalkingFaceDataset and collate: what a training loop receives."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import soundfile
import soxr
import torch
from data_helpers import CLIPS, build_dataset, tone
from torch.utils.data import DataLoader, DistributedSampler

from selftalk.data.batch import Batch
from selftalk.data.dataset import TalkingFaceDataset, collate
from selftalk.data.layout import DatasetWriter
from selftalk.errors import InputError


@pytest.fixture
def data(tmp_path):
    written = build_dataset(tmp_path)
    return tmp_path, written


def _expected_audio(samples: np.ndarray, rate: int) -> np.ndarray:
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    resampled = soxr.resample(mono.astype(np.float32), rate, 16000, quality="HQ")  # librosa.load
    return (resampled - resampled.mean()) / np.sqrt(resampled.var() + 1e-7)


def test_items_hold_audio_at_16k_motion_at_model_fps_and_the_template(data):
    root, written = data
    dataset = TalkingFaceDataset(root)
    assert dataset.names == ["alice_s01", "alice_s02", "bob_s01"]
    assert dataset.subjects == ["alice", "bob"] and dataset.frame_step == 2
    for i, name in enumerate(dataset.names):
        subject, sentence = name.split("_")
        audio, rate, motion = written[subject, sentence]
        clip = dataset[i]
        assert clip.name == name and clip.subject == subject
        np.testing.assert_allclose(clip.audio.numpy(), _expected_audio(audio, rate), atol=1e-4)
        np.testing.assert_array_equal(
            clip.vertices.numpy(), motion[::2]
        )  # every 2nd frame, from the 1st
        np.testing.assert_array_equal(clip.template.numpy(), written["templates"][subject])
        assert dataset.frame_count(i) == len(motion[::2])


def test_collate_pads_with_zeros_and_records_lengths(data):
    root, _ = data
    dataset = TalkingFaceDataset(root)
    clips = [dataset[i] for i in range(len(dataset))]
    batch = collate(clips)
    assert isinstance(batch, Batch) and len(batch) == 3
    frames = [len(c.vertices) for c in clips]
    samples = [len(c.audio) for c in clips]
    assert frames == [6, 4, 5]  # 12, 7, 9 frames at 60 fps → 30 fps
    assert batch.vertices.shape == (3, 6, 6, 3) and batch.templates.shape == (3, 6, 3)
    assert batch.audio.shape == (3, max(samples))
    assert batch.frame_lengths.tolist() == frames and batch.audio_lengths.tolist() == samples
    for i, clip in enumerate(clips):
        torch.testing.assert_close(batch.vertices[i, : frames[i]], clip.vertices)
        assert torch.all(batch.vertices[i, frames[i] :] == 0)
        torch.testing.assert_close(batch.audio[i, : samples[i]], clip.audio)
        assert torch.all(batch.audio[i, samples[i] :] == 0)
    assert batch.names == dataset.names and batch.subjects == ["alice", "alice", "bob"]
    assert batch.to("cpu").vertices.shape == batch.vertices.shape


def test_splits_by_name_by_mapping_and_from_another_file(data, tmp_path):
    root, _ = data
    assert TalkingFaceDataset(root, "train").names == ["alice_s01", "alice_s02"]
    assert TalkingFaceDataset(root, "test").subjects == ["bob"]
    assert TalkingFaceDataset(root, {"alice": ["s02"], "bob": ["s01"]}).names == [
        "alice_s02",
        "bob_s01",
    ]
    other = tmp_path / "mine.json"
    other.write_text('{"only": {"bob": ["s01"]}}')
    assert TalkingFaceDataset(root, "only", splits_file=other).names == ["bob_s01"]
    with pytest.raises(InputError, match="has no split 'val'.*train, test"):
        TalkingFaceDataset(root, "val")
    with pytest.raises(InputError, match="without audio or motion: alice_s09"):
        TalkingFaceDataset(root, {"alice": ["s09"]})


def test_fps_override_and_its_check(data):
    root, written = data
    dataset = TalkingFaceDataset(root, fps=60)
    np.testing.assert_array_equal(dataset[0].vertices.numpy(), written["alice", "s01"][2])
    with pytest.raises(InputError, match="not a whole multiple"):
        TalkingFaceDataset(root, fps=25)


def test_a_subject_without_template_is_an_input_error(data):
    root, written = data
    DatasetWriter(root, name="tiny", fps=30, file_fps=60).write_templates(
        {"alice": written["templates"]["alice"]}
    )
    with pytest.raises(InputError, match="no template for subject.*bob"):
        TalkingFaceDataset(root)
    assert TalkingFaceDataset(root, "train").subjects == ["alice"]


def test_motion_on_another_topology_is_an_input_error(data):
    root, _ = data
    np.save(root / "vertices_npy/bob_s01.npy", np.zeros((4, 9), np.float32))
    dataset = TalkingFaceDataset(root)
    with pytest.raises(InputError, match=r"expected \(T, 18\) motion"):
        dataset[2]


def test_cache_decodes_each_clip_once(data, monkeypatch):
    root, _ = data
    import selftalk.data.dataset as module

    calls = []
    original = module.load_audio
    monkeypatch.setattr(module, "load_audio", lambda *a, **k: calls.append(a) or original(*a, **k))
    dataset = TalkingFaceDataset(root, cache=True)
    first = dataset[1]
    second = dataset[1]
    assert len(calls) == 1
    torch.testing.assert_close(first.vertices, second.vertices)
    second.vertices += 1  # callers may modify what they get without touching the cache
    torch.testing.assert_close(dataset[1].vertices, first.vertices)


def test_distributed_sampler_and_workers(data):
    root, _ = data
    dataset = TalkingFaceDataset(root)
    seen = []
    for rank in range(2):
        sampler = DistributedSampler(dataset, num_replicas=2, rank=rank, shuffle=True, seed=1)
        loader = DataLoader(dataset, batch_size=1, sampler=sampler, collate_fn=collate)
        seen += [name for batch in loader for name in batch.names]
    assert set(seen) == set(dataset.names)
    clone = pickle.loads(pickle.dumps(dataset))  # what a worker process receives
    torch.testing.assert_close(clone[0].vertices, dataset[0].vertices)


def _write_m4a(path, samples, rate):
    import av

    with av.open(str(path), "w", format="ipod") as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        size = stream.codec_context.frame_size or 1024
        for start in range(0, len(samples), size):
            frame = av.AudioFrame.from_ndarray(
                samples[None, start : start + size], format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.mark.parametrize(
    "suffix, lossless",
    [(".wav", True), (".flac", True), (".ogg", False), (".mp3", False), (".m4a", False)],
)
def test_audio_formats(tmp_path, suffix, lossless):
    rate, seconds = 44100, 1.0
    left = tone(seconds, rate, 330.0)
    stereo = np.stack([left, 0.5 * left], axis=1)  # loaders mix to mono
    writer = DatasetWriter(tmp_path, name="fmt", fps=25)
    writer.write_vertices("a", "s1", np.zeros((25, 3, 3)))
    writer.write_templates({"a": np.zeros((3, 3))})
    path = tmp_path / "wav" / f"a_s1{suffix}"
    path.parent.mkdir()
    if suffix == ".m4a":
        _write_m4a(path, stereo.mean(axis=1).astype(np.float32), rate)
    else:
        soundfile.write(path, stereo, rate)
    writer.finish()

    audio = TalkingFaceDataset(tmp_path)[0].audio.numpy()
    if lossless:
        np.testing.assert_allclose(
            audio, _expected_audio(stereo, rate), atol=2e-3
        )  # flac/wav: 16-bit
    else:
        assert abs(len(audio) / 16000 - seconds) < 0.1
        peak = np.fft.rfftfreq(len(audio), 1 / 16000)[np.argmax(np.abs(np.fft.rfft(audio)))]
        assert abs(peak - 330.0) < 3
    assert abs(audio.mean()) < 1e-3 and abs(audio.std() - 1) < 1e-3


def test_clips_constant_is_what_the_fixture_wrote(data):
    root, _ = data
    assert sorted(p.stem for p in (root / "vertices_npy").iterdir()) == sorted(
        f"{s}_{q}" for s, q in CLIPS
    )
