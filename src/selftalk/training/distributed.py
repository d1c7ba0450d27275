"""One process or many: rank, world size and device, from ``torchrun``'s environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Distributed:
    """Where this process stands: ``rank`` of ``world_size`` processes, on ``device``."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def pick_device(name: str = "auto", local_rank: int = 0) -> torch.device:
    """``auto`` → this process's CUDA device when there is one, else the CPU."""
    if name == "auto":
        return (
            torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
        )
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        from selftalk.errors import SelfTalkError

        raise SelfTalkError("--device cuda was asked for, but torch sees no CUDA device")
    return device


def setup(device: str = "auto") -> Distributed:
    """Join the process group when launched by ``torchrun`` (gloo on CPU, NCCL on CUDA)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Distributed(device=pick_device(device))
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    chosen = pick_device(device, local_rank)
    if chosen.type == "cuda":
        torch.cuda.set_device(chosen)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if chosen.type == "cuda" else "gloo")
    return Distributed(rank=rank, world_size=world_size, local_rank=local_rank, device=chosen)


def all_reduce_sum(tensor: torch.Tensor, info: Distributed) -> torch.Tensor:
    """Sum ``tensor`` over processes (a no-op for one process)."""
    if info.enabled:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def barrier(info: Distributed) -> None:
    if info.enabled:
        dist.barrier()


def teardown(info: Distributed) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()
