#!/usr/bin/env python3
"""GPU figures at the paper's size (random weights): CUDA float32 and bfloat16 inference per second
of audio, training step time at batch 1 and 8, and DDP over NCCL when there is more than one GPU.

    python benchmarks/bench_gpu.py [--sizes vocaset biwi] [--out benchmarks/results/gpu.json]

Without a CUDA GPU it says so, writes ``{"skipped": ...}`` and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_training import make_batch, paper_size  # noqa: E402

from selftalk.models.diagram import CommutativeDiagram  # noqa: E402
from selftalk.models.recognizer import SpeechRecognizer  # noqa: E402
from selftalk.models.selftalk import SelfTalk  # noqa: E402


def sync_time(fn, repeats: int) -> float:
    """Min wall time of ``fn`` over ``repeats`` calls after one warm-up, CUDA synchronised."""
    fn()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def build(name: str, device: str):
    config = paper_size(name)
    torch.manual_seed(0)
    model = SelfTalk(config.model, torch.arange(config.model.n_lip_vertices)).to(device)
    recognizer = SpeechRecognizer.from_config(config.recognizer).to(device)
    return config, model, recognizer


def inference(model, config, clips, repeats: int) -> dict:
    model.eval()
    template = torch.zeros(config.model.n_vertices, 3, device="cuda")
    out = {}
    for dtype in ("float32", "bfloat16"):
        for seconds in clips:
            audio = torch.randn(int(16_000 * seconds), device="cuda")

            def run(audio=audio, dtype=dtype):
                with torch.autocast("cuda", torch.bfloat16, enabled=dtype == "bfloat16"):
                    model.predict(audio, template)

            t = sync_time(run, repeats)
            out[f"{dtype}_{seconds:g}s"] = {"seconds": t, "per_audio_second": t / seconds}
            print(
                f"  inference {dtype} {seconds:g} s: {t / seconds * 1000:.1f} ms per second of audio"
            )
    return out


def train_steps(model, recognizer, config, batches, seconds: float, repeats: int, ddp=None) -> dict:
    diagram = CommutativeDiagram(model, recognizer, config.loss).train()
    trained = ddp(diagram) if ddp else diagram
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    out = {}
    for size in batches:
        batch = make_batch(config, size, seconds).to("cuda")

        def step(batch=batch):
            with torch.autocast("cuda", torch.bfloat16):
                loss = trained(batch, None).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        out[f"batch{size}"] = sync_time(step, repeats)
        print(f"  training step, batch {size}: {out[f'batch{size}']:.3f} s (bf16 autocast)")
    return out


def ddp_worker(rank: int, world: int, name: str, seconds: float, repeats: int, queue) -> None:
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29533")
    torch.distributed.init_process_group("nccl", rank=rank, world_size=world)
    torch.cuda.set_device(rank)
    config, model, recognizer = build(name, f"cuda:{rank}")
    from torch.nn.parallel import DistributedDataParallel

    wrap = lambda d: DistributedDataParallel(d, device_ids=[rank], find_unused_parameters=True)
    times = train_steps(model, recognizer, config, [8 // world or 1], seconds, repeats, ddp=wrap)
    if rank == 0:
        queue.put(times)
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["vocaset", "biwi"])
    parser.add_argument("--clips", default="1,4.67,20")
    parser.add_argument("--seconds", type=float, default=4.0, help="training clip length")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/gpu.json"))
    args = parser.parse_args()
    if not torch.cuda.is_available():
        reason = "no CUDA GPU available (torch.cuda.is_available() is False): GPU figures skipped"
        print(reason)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps({"skipped": reason, "torch": torch.__version__}, indent=2) + "\n"
        )
        return
    clips = [float(s) for s in args.clips.split(",")]
    results = {
        "gpu": torch.cuda.get_device_name(0),
        "gpus": torch.cuda.device_count(),
        "torch": torch.__version__,
        "sizes": {},
    }
    for name in args.sizes:
        print(name)
        config, model, recognizer = build(name, "cuda")
        entry = {"inference": inference(model, config, clips, args.repeats)}
        entry["training"] = train_steps(
            model, recognizer, config, [1, 8], args.seconds, args.repeats
        )
        del model, recognizer
        torch.cuda.empty_cache()
        world = torch.cuda.device_count()
        if world > 1:
            import torch.multiprocessing as mp

            queue = mp.get_context("spawn").SimpleQueue()
            mp.spawn(ddp_worker, (world, name, args.seconds, args.repeats, queue), nprocs=world)
            entry["ddp_nccl"] = {"gpus": world, "global_batch": 8, "step": queue.get()}
            print(f"  DDP over NCCL, {world} GPUs, global batch 8: {entry['ddp_nccl']['step']}")
        else:
            entry["ddp_nccl"] = "skipped: one GPU"
        results["sizes"][name] = entry
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
