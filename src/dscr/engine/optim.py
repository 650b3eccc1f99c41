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
    dampening: float = 0.0     # SGD only (Schiappa et al.'s video code: 0.9); must be 0 with nesterov
    nesterov: bool = False
    weight_decay: float = 5e-4
    # auto: fused on CPU (its SGD and AdamW steps measured 2.5-5x faster than for_loop and foreach on VGG16
    # and the smoke ResNet), torch's default (foreach) on CUDA until benchmarks/gpu_suite.py shows fused helps.
    implementation: Literal["auto", "for_loop", "foreach", "fused"] = "auto"
    # timm's filter_bias_and_bn (DeiT): no weight decay on 1-D parameters (norms, biases) nor on the names a
    # module lists in its no_weight_decay() (a ViT's position embedding and class token).
    filter_bias_and_bn: bool = False

    def __post_init__(self) -> None:
        if self.nesterov and self.dampening:
            raise ValueError(f"dampening: {self.dampening}; Nesterov momentum needs dampening 0")
        if not 0.0 <= self.dampening < 1.0:
            raise ValueError(f"dampening: {self.dampening}; allowed: 0 <= dampening < 1")
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
    warmup_epochs: int = 0     # linear warm-up, counted in epochs, done per step
    warmup_start: float = 0.01  # the warm-up starts at lr * warmup_start (DeiT: warmup_lr 1e-6 = lr * 0.002)
    min_factor: float = 0.0    # cosine: the LR decays to lr * min_factor (DeiT: min_lr 1e-5 = lr * 0.02)

    def __post_init__(self) -> None:
        require_at_least(self, 0, "warmup_epochs")
        if not self.gamma > 0:
            raise ValueError(f"gamma: {self.gamma}; must be > 0")
        if any(m < 1 for m in self.milestones):
            raise ValueError(f"milestones: {self.milestones}; epochs must be >= 1")
        for name in ("warmup_start", "min_factor"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name}: {getattr(self, name)}; allowed: a fraction of lr in [0, 1]")


def no_weight_decay_names(model: torch.nn.Module) -> set[str]:
    """Parameter names (as `model.named_parameters()` gives them) that a module of `model` lists in its
    `no_weight_decay()`, timm's convention (e.g. {"pos_embed", "cls_token"} of a ViT)."""
    names: set[str] = set()
    for prefix, module in model.named_modules():
        listed = getattr(module, "no_weight_decay", None)
        if callable(listed):
            names |= {f"{prefix}.{n}" if prefix else n for n in listed()}
    return names


def param_groups(model: torch.nn.Module, weight_decay: float, filter_bias_and_bn: bool) -> list[dict]:
    """One group with `weight_decay`, or (filter_bias_and_bn) timm's two: norms, biases and the
    `no_weight_decay()` names without decay, everything else with it."""
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not filter_bias_and_bn:
        return [{"params": [p for _, p in params], "weight_decay": weight_decay}]
    skip = no_weight_decay_names(model)
    exempt = [p for n, p in params if p.ndim <= 1 or n.endswith(".bias") or n in skip]
    exempt_ids = {id(p) for p in exempt}
    return [{"params": exempt, "weight_decay": 0.0},
            {"params": [p for _, p in params if id(p) not in exempt_ids], "weight_decay": weight_decay}]


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
    """SGD (momentum, dampening, optional Nesterov) or AdamW over the parameter groups, in the configured
    implementation."""
    groups = param_groups(model, optim.weight_decay, optim.filter_bias_and_bn)
    flags = implementation_flags(optim.implementation, next(model.parameters()).device)
    if optim.name == "sgd":
        return torch.optim.SGD(groups, lr=optim.lr, momentum=optim.momentum, dampening=optim.dampening,
                               nesterov=optim.nesterov, **flags)
    return torch.optim.AdamW(groups, lr=optim.lr, **flags)


def build_lr_schedule(schedule: LRScheduleConfig, optimizer: torch.optim.Optimizer, steps_per_epoch: int,
                      epochs: int) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step LambdaLR, so a run resumed mid-schedule continues on the same curve."""
    total, warmup = epochs * steps_per_epoch, schedule.warmup_epochs * steps_per_epoch
    start, floor = schedule.warmup_start, schedule.min_factor

    def factor(step: int) -> float:
        if step < warmup:
            return start + (1.0 - start) * step / warmup
        if schedule.name == "cosine":
            return floor + (1.0 - floor) * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))
        if schedule.name == "step":
            return schedule.gamma ** sum(step >= m * steps_per_epoch for m in schedule.milestones)
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def autocast(amp: str, device: torch.device):
    """bf16 autocast for amp="bf16", or "auto" on CUDA; a no-op context otherwise."""
    use_bf16 = amp == "bf16" or (amp == "auto" and device.type == "cuda")
    return torch.autocast(device.type, dtype=torch.bfloat16) if use_bf16 else contextlib.nullcontext()
