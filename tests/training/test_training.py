import json
import os
import socket

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from toy_data import make_toy_dataset

from selftalk.config import apply_overrides, preset
from selftalk.training import checkpoint as checkpoint_module
from selftalk.training.checkpoint import checkpoint_path
from selftalk.training.run import train


def tiny_config(**train):
    settings = {"epochs": 2, "batch_size": 2, "lr": 3e-3, "seed": 0, **train}
    return apply_overrides(preset("tiny"), {"train": settings}).validate()


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return make_toy_dataset(tmp_path_factory.mktemp("toy") / "data")


def weights(run_dir, which="latest"):
    return load_file(str(checkpoint_path(run_dir, which) / "model" / "model.safetensors"))


def resume(data_dir, run_dir, **train_overrides):
    """Resume a run from its latest checkpoint, with ``train`` settings overridden."""
    train(
        None,
        data_dir=data_dir,
        run_dir=run_dir,
        resume=True,
        resume_overrides={"train": train_overrides},
        progress=False,
    )


def resume_to_the_end(data_dir, run_dir):
    """Resume a run stopped by ``max_steps`` and train it to the end of its schedule."""
    resume(data_dir, run_dir, max_steps=0)


def records(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_loss_goes_down(toy, tmp_path):
    run = tmp_path / "run"
    train(tiny_config(epochs=12, batch_size=1), data_dir=toy, run_dir=run, progress=False)
    steps = [r for r in records(run) if "train/loss" in r]
    first, last = (
        np.mean([r["train/rec"] for r in steps[:5]]),
        np.mean([r["train/rec"] for r in steps[-5:]]),
    )
    assert last < 0.5 * first, (first, last)
    vals = [r["val/loss"] for r in records(run) if "val/loss" in r]
    assert len(vals) == 12 and vals[-1] < vals[0]
    assert {"train/rec", "train/vel", "train/lat", "train/ctc", "lr"} <= set(steps[-1])
    assert (run / "config.json").is_file() and (run / "run.json").is_file()
    assert any((run / "tensorboard").iterdir())
    assert (run / "mesh.ply").is_file() and (run / "templates.npz").is_file()


def test_validation_loss_is_the_mean_over_the_whole_split(toy, tmp_path):
    from selftalk.data.dataset import TalkingFaceDataset, collate
    from selftalk.models.diagram import CommutativeDiagram
    from selftalk.models.recognizer import SpeechRecognizer
    from selftalk.models.selftalk import SelfTalk

    run = tmp_path / "run"
    trainer = train(tiny_config(epochs=1), data_dir=toy, run_dir=run, progress=False)
    logged = [r for r in records(run) if "val/rec" in r][-1]
    model = SelfTalk.from_pretrained(checkpoint_path(run) / "model")
    recognizer = SpeechRecognizer.from_config(
        apply_overrides(trainer.config.recognizer, {"pretrained": str(run / "recognizer")})
    )
    diagram = CommutativeDiagram(model, recognizer, trainer.config.loss).eval()
    val = TalkingFaceDataset(toy, "val")
    with torch.no_grad():
        per_clip = [float(diagram(collate([val[i]])).terms["rec"]) for i in range(len(val))]
    assert len(per_clip) == 2
    assert logged["val/rec"] == pytest.approx(np.mean(per_clip), rel=1e-5)


@pytest.mark.parametrize("stop_after", [3, 2])  # at the end of epoch 1 (3 steps), and mid-epoch
def test_resume_gives_the_same_weights_as_an_uninterrupted_run(toy, tmp_path, stop_after):
    straight, interrupted = tmp_path / "a", tmp_path / "b"
    train(tiny_config(), data_dir=toy, run_dir=straight, progress=False)
    train(tiny_config(max_steps=stop_after), data_dir=toy, run_dir=interrupted, progress=False)
    assert json.loads((interrupted / "checkpoints/latest.json").read_text())["step"] == stop_after
    resume_to_the_end(toy, interrupted)
    a, b = weights(straight), weights(interrupted)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_a_run_killed_mid_checkpoint_keeps_the_previous_one(toy, tmp_path, monkeypatch):
    run = tmp_path / "run"
    train(tiny_config(epochs=1), data_dir=toy, run_dir=run, progress=False)
    before = checkpoint_path(run)
    saved = weights(run)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies while writing the optimizer state

    monkeypatch.setattr(checkpoint_module, "_flatten_optimizer", crash)
    with pytest.raises(KeyboardInterrupt):
        resume(toy, run, epochs=2)
    monkeypatch.undo()
    assert checkpoint_path(run) == before
    for key, value in weights(run).items():
        assert torch.equal(value, saved[key])
    resume(toy, run, epochs=2)
    assert json.loads((run / "checkpoints/latest.json").read_text())["epoch"] == 2


def test_recognizer_cache_gives_the_same_losses(toy, tmp_path):
    cached, direct = tmp_path / "c", tmp_path / "d"
    train(tiny_config(epochs=1), data_dir=toy, run_dir=cached, progress=False)
    train(
        tiny_config(epochs=1, cache_recognizer=False), data_dir=toy, run_dir=direct, progress=False
    )
    a, b = records(cached), records(direct)
    for ra, rb in zip(a, b):
        for key in ra:
            if key.startswith(("train/", "val/")):
                assert ra[key] == pytest.approx(rb[key], rel=1e-5), key
    entries = list((cached / "recognizer-cache").rglob("*.safetensors"))
    assert len(entries) == 12 - 1  # train (9) + val (2) clips
    assert not (direct / "recognizer-cache").exists()


def test_without_the_diagram_no_recognizer_is_built(toy, tmp_path):
    run = tmp_path / "run"
    config = apply_overrides(tiny_config(epochs=1), {"loss": {"lat": 0.0, "ctc": 0.0}})
    train(config, data_dir=toy, run_dir=run, progress=False)
    assert not (run / "recognizer").exists()
    last = [r for r in records(run) if "train/loss" in r][-1]
    assert "train/lat" not in last and "train/ctc" not in last


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank, world, port, toy, run_dir, config):
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
    )
    torch.set_num_threads(1)
    train(config, data_dir=toy, run_dir=run_dir, device="cpu", progress=False)


def test_two_processes_on_gloo_match_one_process(toy, tmp_path):
    import torch.multiprocessing as mp

    toy = make_toy_dataset(tmp_path / "even", subjects=2, sentences=5)  # 8 training clips
    config = tiny_config(epochs=1, batch_size=2)
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    train(config, data_dir=toy, run_dir=single, progress=False)
    mp.spawn(_ddp_worker, args=(2, _free_port(), toy, ddp, config), nprocs=2, join=True)
    one, two = records(single), records(ddp)
    steps_one = [r for r in one if "train/loss" in r]
    steps_two = [r for r in two if "train/loss" in r]
    assert len(steps_one) == len(steps_two) == 4
    for ra, rb in zip(steps_one, steps_two):  # the logged loss is the global batch's
        assert ra["train/loss"] == pytest.approx(rb["train/loss"], rel=1e-4)
    a, b = weights(single), weights(ddp)
    for key in a:
        x, y = a[key].double(), b[key].double()
        if key.endswith("k_proj.bias"):
            continue  # see below
        if key.endswith("in_proj_bias"):  # keep the query and value thirds, drop the key third
            third = len(x) // 3
            x, y = torch.cat([x[:third], x[2 * third :]]), torch.cat([y[:third], y[2 * third :]])
        # A bias added to every attention key has a true gradient of 0 (softmax ignores it);
        # Adam turns the rounding noise left in it into full-size steps, differently per run.
        # Everything else agrees to float32 rounding, measured relative to the tensor's size.
        assert (x - y).norm() <= 1e-4 * x.norm() + 1e-7, key
    va, vb = [r for r in one if "val/loss" in r][-1], [r for r in two if "val/loss" in r][-1]
    assert va["val/loss"] == pytest.approx(vb["val/loss"], rel=1e-4)


def test_augmented_training_is_deterministic_and_keeps_clean_targets(toy, tmp_path):
    from selftalk.config import robust_augmentation

    config = apply_overrides(tiny_config(epochs=1), {})
    config.train.augment = robust_augmentation()
    a, b = tmp_path / "a", tmp_path / "b"
    train(config, data_dir=toy, run_dir=a, progress=False)
    train(config, data_dir=toy, run_dir=b, progress=False)
    wa, wb = weights(a), weights(b)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    plain = tmp_path / "plain"
    train(tiny_config(epochs=1), data_dir=toy, run_dir=plain, progress=False)
    assert any(not torch.equal(wa[k], weights(plain)[k]) for k in wa)


def test_speed_augmentation_is_refused():
    from selftalk.config import ConfigError

    with pytest.raises(ConfigError, match="p_speed"):
        apply_overrides(tiny_config(), {"train": {"augment": {"p_speed": 0.5}}}).validate()


def test_gradients_are_clipped_together_or_by_module():
    """With one clip a large lip-reader gradient shrinks the animator's too; by module, each
    is clipped on its own (train.grad_clip_by_module)."""
    from selftalk.training.loop import clip_gradients

    def model_with_gradients():
        model = torch.nn.Module()
        model.animator, model.lip_reader = torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)
        for p in model.animator.parameters():
            p.grad = torch.full_like(p, 0.01)  # norm 0.045
        for p in model.lip_reader.parameters():
            p.grad = torch.full_like(p, 10.0)  # norm 44.7
        return model

    def norm(module):
        return torch.norm(torch.stack([p.grad.norm() for p in module.parameters()])).item()

    together = model_with_gradients()
    clip_gradients(together, 1.0, by_module=False)
    assert norm(together.animator) < 0.002  # starved: scaled by 1 / 44.7
    apart = model_with_gradients()
    clip_gradients(apart, 1.0, by_module=True)
    assert norm(apart.animator) == pytest.approx(0.0447, rel=1e-3)
    assert norm(apart.lip_reader) == pytest.approx(1.0, rel=1e-4)


def test_length_buckets_batch_alike_clips_and_resume_exactly(toy, tmp_path):
    config = tiny_config(length_buckets=True)
    straight, interrupted = tmp_path / "a", tmp_path / "b"
    trainer = train(config, data_dir=toy, run_dir=straight, progress=False)
    counts = trainer._train_frame_counts

    def padded_frames(order):  # what batches of 2 in this order compute
        return sum(2 * counts[order[i : i + 2]].max() for i in range(0, len(order) - 1, 2))

    bucketed = [trainer._indices(trainer.train_set, epoch=e, shuffle=True) for e in range(8)]
    trainer.config.train.length_buckets = False
    shuffled = [trainer._indices(trainer.train_set, epoch=e, shuffle=True) for e in range(8)]
    assert all(sorted(order) == list(range(len(counts))) for order in bucketed)
    assert sum(map(padded_frames, bucketed)) < sum(map(padded_frames, shuffled)), (
        sum(map(padded_frames, bucketed)),
        sum(map(padded_frames, shuffled)),
    )
    train(tiny_config(length_buckets=True, max_steps=2), data_dir=toy, run_dir=interrupted)
    resume_to_the_end(toy, interrupted)
    a, b = weights(straight), weights(interrupted)
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_the_environments_mmap_threshold_is_left_to_rule():
    import subprocess
    import sys

    probe = (
        "import unittest.mock as m\n"
        "from selftalk.training import run\n"
        "calls = []\n"
        "with m.patch('ctypes.CDLL', return_value=m.Mock(mallopt=lambda *a: calls.append(a))):\n"
        "    run.keep_large_arrays_out_of_the_heap()\n"
        "print(calls)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    ruled = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert ruled.stdout.strip() == f"[(-3, {32 << 20})]", ruled.stderr
    env["MALLOC_MMAP_THRESHOLD_"] = str(128 << 10)
    left = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert left.stdout.strip() == "[]", left.stderr
