"""Optimizer, LR schedule and mixed-precision settings shared by every task's training loop."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Literal

import torch


@dataclass
class OptimConfig:
    name: Literal["sgd", "adamw"] = "sgd"
    lr: float = 0.1
    momentum: float = 0.9      # SGD only
    nesterov: bool = False
    weight_decay: float = 5e-4
    # auto: fused on CPU (its SGD and AdamW steps measured 2.5-5x faster than for_loop and foreach on VGG16
    # and the smoke ResNet), torch's default (foreach) on CUDA until benchmarks/gpu_suite.py shows fused helps.
    implementation: Literal["auto", "for_loop", "foreach", "fused"] = "auto"


@dataclass
class LRScheduleConfig:
    name: Literal["cosine", "step", "constant"] = "cosine"
    milestones: list[int] = field(default_factory=list)  # step: epochs at which the LR is multiplied by gamma
    gamma: float = 0.1
    warmup_epochs: int = 0     # linear warm-up from lr/100, counted in epochs, done per step


def implementation_flags(implementation: str, device: torch.device) -> dict[str, bool]:
    """The `foreach` / `fused` keyword arguments of torch's SGD and AdamW for an `OptimConfig.implementation`.

    Every implementation keeps its state in `optimizer.state[param]` as tensors shaped like the parameter
    (SGD's momentum_buffer, AdamW's exp_avg and exp_avg_sq), so the DST base's mask re-application after each
    step and its moment resets on prune and regrow work the same with all of them.
    """
    if implementation == "auto":
        implementation = "fused" if device.type == "cpu" else "default"
    return {"for_loop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True},
            "default": {}}[implementation]


def build_optimizer(optim: OptimConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    """SGD (momentum, optional Nesterov) or AdamW over every parameter, in the configured implementation."""
    device = next(model.parameters()).device
    flags = implementation_flags(optim.implementation, device)
    if optim.name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=optim.lr, momentum=optim.momentum, nesterov=optim.nesterov,
                               weight_decay=optim.weight_decay, **flags)
    return torch.optim.AdamW(model.parameters(), lr=optim.lr, weight_decay=optim.weight_decay, **flags)


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
