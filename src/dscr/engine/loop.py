"""Steps every task's training loop takes the same way: DDP wrapping, the checkpoint's contents and
restoring them (the dvclive logger lives in `live.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from .checkpoint import load_checkpoint, rng_state, set_rng_state
from .distributed import WorldInfo, barrier
from .io import write_text_atomic
from .run import RunFiles, fingerprint_changes


def wrap_ddp(model: nn.Module, world: WorldInfo, device: torch.device) -> nn.Module:
    """DistributedDataParallel around `model` when running under torchrun; the model itself otherwise."""
    if not world.distributed:
        return model
    return nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def checkpoint_state(model: nn.Module, optimizer, lr_schedule, sparsifier, **extra: Any) -> dict[str, Any]:
    """Everything a resumed run needs to continue exactly: weights, optimizer and LR-schedule state, the
    sparsifier's masks and schedule, every RNG state, plus the loop's own counters and the run's
    fingerprint (`extra`)."""
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "lr_schedule": lr_schedule.state_dict(),
            "sparsifier": sparsifier.state_dict(), "rng": rng_state(), **extra}


def restore_checkpoint(state: dict[str, Any], model: nn.Module, optimizer, lr_schedule, sparsifier) -> None:
    """Load a `checkpoint_state` into the live objects and restore the RNG states."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    lr_schedule.load_state_dict(state["lr_schedule"])
    sparsifier.load_state_dict(state["sparsifier"])
    set_rng_state(state["rng"])


def resume(path: Path, fingerprint: dict[str, Any], model: nn.Module, optimizer, lr_schedule, sparsifier,
           device: torch.device, show: bool = True) -> dict[str, Any] | None:
    """Restore the run's last checkpoint if it belongs to the same experiment (same config and code, see
    `dscr.engine.run.fingerprint`); returns its state, or None when the run starts afresh (no checkpoint, or
    one of another experiment, whose differences it names)."""
    if not path.is_file():
        return None
    state = load_checkpoint(path, map_location=device)
    changes = fingerprint_changes(state.get("fingerprint"), fingerprint)
    if changes:
        if show:
            shown = ", ".join(changes[:8]) + (f" and {len(changes) - 8} more" if len(changes) > 8 else "")
            print(f"{path} was trained by another experiment (changed: {shown}): starting afresh")
        return None
    restore_checkpoint(state, model, optimizer, lr_schedule, sparsifier)
    if show:
        print(f"resumed {path.parent.parent} at epoch {state['epoch']}")
    return state


def start_or_resume(run: RunFiles, identity: dict[str, Any], want_resume: bool, config_text: str, world: WorldInfo,
                    model: nn.Module, optimizer, lr_schedule, sparsifier, device: torch.device) -> dict[str, Any] | None:
    """Continue from the run's last checkpoint when `want_resume` and it is the same experiment; otherwise
    start afresh, deleting what an earlier run left. Writes the resolved config; returns the restored state
    (None for a fresh start)."""
    state = resume(run.last, identity, model, optimizer, lr_schedule, sparsifier, device, world.is_main) \
        if want_resume else None
    if world.is_main:
        if state is None:
            run.reset()
        write_text_atomic(run.work_dir / "config.yaml", config_text)
    barrier()
    return state
