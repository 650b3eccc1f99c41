"""torch.distributed setup from torchrun's environment; a single process when it is absent."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from dscr.config import DscrError


@dataclass(frozen=True)
class WorldInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(name: str = "auto") -> torch.device:
    """`auto`: CUDA when available, else the CPU. A CUDA device on a machine without CUDA, or a name torch
    does not know, is a one-line error here rather than a driver traceback later."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DscrError(f"device '{name}' is not a device name; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DscrError(f"device {name}: CUDA is not available on this machine; use cpu (or auto)")
    return device


def init_distributed(device: str = "auto") -> tuple[WorldInfo, torch.device]:
    """Join the process group torchrun describes (RANK, WORLD_SIZE, LOCAL_RANK) and pick the device.

    NCCL on CUDA, gloo on CPU, so DDP is testable on a laptop with two processes.
    """
    dev = resolve_device(device)
    world = WorldInfo()
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        world = WorldInfo(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))
    if dev.type == "cuda":
        torch.cuda.set_device(world.local_rank)
        dev = torch.device("cuda", world.local_rank)
    if world.distributed and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return world, dev


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def cleanup() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


@torch.no_grad()
def average_buffers(module: torch.nn.Module) -> None:
    """Average floating-point buffers (BatchNorm running statistics) over ranks.

    DDP broadcasts rank 0's buffers before each forward, but every rank then updates its own running
    statistics on its own batch, so after the last step they differ. Averaging them at the end of an epoch
    gives every rank the same model to evaluate and checkpoint.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    world = dist.get_world_size()
    for buffer in module.buffers():
        if buffer.is_floating_point():
            dist.all_reduce(buffer, op=dist.ReduceOp.SUM)
            buffer.div_(world)
