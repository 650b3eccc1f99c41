"""Steps every task's training loop takes the same way: DDP wrapping, the checkpoint's contents and
restoring them (the dvclive logger lives in `live.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from .checkpoint import load_checkpoint, rng_state, set_rng_state
from .distributed import WorldInfo


def wrap_ddp(model: nn.Module, world: WorldInfo, device: torch.device) -> nn.Module:
    """DistributedDataParallel around `model` when running under torchrun; the model itself otherwise."""
    if not world.distributed:
        return model
    return nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def checkpoint_state(model: nn.Module, optimizer, lr_schedule, sparsifier, **extra: Any) -> dict[str, Any]:
    """Everything a resumed run needs to continue exactly: weights, optimizer and LR-schedule state, the
    sparsifier's masks and schedule, every RNG state, plus the loop's own counters (`extra`)."""
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "lr_schedule": lr_schedule.state_dict(),
            "sparsifier": sparsifier.state_dict(), "rng": rng_state(), **extra}


def restore_checkpoint(path: str | Path, model: nn.Module, optimizer, lr_schedule, sparsifier,
                       device: torch.device) -> dict[str, Any]:
    """Load a `checkpoint_state` into the live objects, restore the RNG states; returns the whole state."""
    state = load_checkpoint(path, map_location=device)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    lr_schedule.load_state_dict(state["lr_schedule"])
    sparsifier.load_state_dict(state["sparsifier"])
    set_rng_state(state["rng"])
    return state


def resume(path: Path, config: dict[str, Any], model: nn.Module, optimizer, lr_schedule, sparsifier,
           device: torch.device, show: bool = True) -> dict[str, Any] | None:
    """Restore the run's last checkpoint if it belongs to the same experiment; returns its state, or None
    when the run starts afresh (no checkpoint, or one trained with other settings, which it names)."""
    if not path.is_file():
        return None
    stale = config_changes(load_checkpoint(path)["config"], config)
    if stale:
        if show:
            print(f"{path} was trained with other settings ({', '.join(stale)}): starting afresh")
        return None
    state = restore_checkpoint(path, model, optimizer, lr_schedule, sparsifier, device)
    if show:
        print(f"resumed {path.parent.parent} at epoch {state['epoch']}")
    return state


# Keys that say how a run is executed, not what it computes: a checkpoint stays valid when they change.
RUN_CONTROL_KEYS = {"resume", "halt_after_epochs", "threads", "device", "out_dir", "name", "num_workers",
                    "eval_batch_size", "eval_every", "keep_every"}


def config_changes(saved: dict[str, Any], current: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between a checkpoint's config and the current one (run-control keys
    ignored): a non-empty answer means the checkpoint belongs to another experiment."""
    changed = []
    for key in sorted(set(saved) | set(current)):
        if key in RUN_CONTROL_KEYS:
            continue
        a, b = saved.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            changed += config_changes(a, b, f"{prefix}{key}.")
        elif a != b:
            changed.append(prefix + key)
    return changed
