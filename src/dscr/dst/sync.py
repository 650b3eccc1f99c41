"""DistributedDataParallel safety: every rank must hold rank 0's masks, and scores must agree.

Both helpers are no-ops unless torch.distributed is initialised with more than one rank.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    """True inside an initialised process group of more than one rank."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def broadcast_from_rank0(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """Replace every tensor by rank 0's copy (one flat uint8 broadcast per device).

    Args:
        tensors: uint8 tensors, same shapes on every rank.

    Returns:
        rank 0's tensors (the inputs themselves when not distributed).
    """
    if not is_distributed() or not tensors:
        return tensors
    flat = torch.cat([t.reshape(-1) for t in tensors])
    dist.broadcast(flat, src=0)
    out, offset = [], 0
    for t in tensors:
        out.append(flat[offset:offset + t.numel()].view(t.shape))
        offset += t.numel()
    return out


def all_reduce_mean_(tensor: torch.Tensor) -> torch.Tensor:
    """Average a score tensor over ranks in place (scores computed from local gradients must agree)."""
    if is_distributed():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        tensor.div_(dist.get_world_size())
    return tensor


def broadcast_tensors_(tensors: list[torch.Tensor]) -> None:
    """Overwrite each tensor in place with rank 0's values (e.g. weights rewound from a local copy)."""
    if is_distributed():
        for tensor in tensors:
            dist.broadcast(tensor, src=0)
