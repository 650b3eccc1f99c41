"""Optimizer, LR schedule and mixed-precision settings shared by every task's training loop."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Literal

import torch

from dscr.config import require_at_least


@dataclass
class OptimConfig:
    name: Literal["sgd", "adamw"] = "sgd"
    lr: float = 0.1
    momentum: float = 0.9      # SGD only
    nesterov: bool = False
    weight_decay: float = 5e-4

    def __post_init__(self) -> None:
        if not self.lr > 0:
            raise ValueError(f"lr: {self.lr}; must be > 0")
        require_at_least(self, 0, "momentum", "weight_decay")
        if self.nesterov and (self.name != "sgd" or self.momentum == 0):
            raise ValueError("nesterov: true needs name: sgd and momentum > 0")


@dataclass
class LRScheduleConfig:
    name: Literal["cosine", "step", "constant"] = "cosine"
    milestones: list[int] = field(default_factory=list)  # step: epochs at which the LR is multiplied by gamma
    gamma: float = 0.1
    warmup_epochs: int = 0     # linear warm-up from lr/100, counted in epochs, done per step

    def __post_init__(self) -> None:
        require_at_least(self, 0, "warmup_epochs")
        if not self.gamma > 0:
            raise ValueError(f"gamma: {self.gamma}; must be > 0")
        if any(m < 1 for m in self.milestones):
            raise ValueError(f"milestones: {self.milestones}; epochs must be >= 1")


def build_optimizer(optim: OptimConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    if optim.name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=optim.lr, momentum=optim.momentum, nesterov=optim.nesterov,
                               weight_decay=optim.weight_decay)
    return torch.optim.AdamW(model.parameters(), lr=optim.lr, weight_decay=optim.weight_decay)


def build_lr_schedule(schedule: LRScheduleConfig, optimizer: torch.optim.Optimizer, steps_per_epoch: int,
                      epochs: int) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step LambdaLR, so a run resumed mid-schedule continues on the same curve."""
    total, warmup = epochs * steps_per_epoch, schedule.warmup_epochs * steps_per_epoch

    def factor(step: int) -> float:
        if step < warmup:
            return 0.01 + 0.99 * step / warmup
        if schedule.name == "cosine":
            return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))
        if schedule.name == "step":
            return schedule.gamma ** sum(step >= m * steps_per_epoch for m in schedule.milestones)
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def autocast(amp: str, device: torch.device):
    """bf16 autocast for amp="bf16", or "auto" on CUDA; a no-op context otherwise."""
    use_bf16 = amp == "bf16" or (amp == "auto" and device.type == "cuda")
    return torch.autocast(device.type, dtype=torch.bfloat16) if use_bf16 else contextlib.nullcontext()
