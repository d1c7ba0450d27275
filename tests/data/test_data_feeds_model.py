"""Prepared datasets feed the core model: dataset → collate → commutative diagram → loss."""

from __future__ import annotations

import pytest
import torch
from raw_release_fakes import write_fake_biwi, write_fake_vocaset
from torch.utils.data import DataLoader

from selftalk.config import LossConfig, apply_overrides, tiny
from selftalk.data.biwi import BiwiOptions, prepare_biwi
from selftalk.data.dataset import TalkingFaceDataset, collate
from selftalk.data.vocaset import VocasetOptions, prepare_vocaset
from selftalk.models.diagram import CommutativeDiagram
from selftalk.models.recognizer import SpeechRecognizer
from selftalk.models.selftalk import SelfTalk
from selftalk.topology import Topology


def _prepare(kind, tmp_path):
    out = tmp_path / "out"
    if kind == "vocaset":
        prepare_vocaset(
            write_fake_vocaset(tmp_path / "raw").root, out, VocasetOptions(progress=False)
        )
        return out, "train", "interpolate_cnn"
    fake = write_fake_biwi(tmp_path / "raw")
    prepare_biwi(fake.root, out, BiwiOptions(regions=fake.root / "regions", progress=False))
    return out, "test-b", "stack"  # SelfTalk's BIWI alignment: pairs of 50 Hz frames at 25 fps


@pytest.mark.parametrize("kind", ["vocaset", "biwi"])
def test_a_prepared_dataset_trains_the_tiny_model(kind, tmp_path):
    data_dir, split, alignment = _prepare(kind, tmp_path)
    topology = Topology.from_dataset(data_dir)
    config = apply_overrides(
        tiny().model,
        {
            "n_vertices": topology.n_vertices,
            "n_lip_vertices": len(topology.lip_indices),
            "fps": topology.fps,
            "animator": {"alignment": alignment},
        },
    )
    torch.manual_seed(0)
    model = SelfTalk(config, topology.lip_indices)
    diagram = CommutativeDiagram(
        model, SpeechRecognizer.from_config(tiny().recognizer), LossConfig()
    ).train()
    dataset = TalkingFaceDataset(data_dir, split)
    batch = next(iter(DataLoader(dataset, batch_size=2, collate_fn=collate)))
    assert batch.vertices.shape[2:] == (topology.n_vertices, 3)
    out = diagram(batch)
    assert set(out.terms) == {"rec", "vel", "lat", "ctc"} and torch.isfinite(out.loss)
    out.loss.backward()
    assert model.animator.vertex_head.weight.grad is not None
