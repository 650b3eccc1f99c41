"""Dynamic sparse training: prune by magnitude, regrow at random (r) or by gradient (g), fixed or bounded budget.

- SET (Mocanu et al. 2018, arXiv:1707.04780): random sparse start, magnitude prune, uniform random regrowth.
- RigL (Evci et al. 2020, arXiv:1911.11134): SET with regrowth at the largest |dense gradient|.
- MEST (Yuan et al. 2021, arXiv:2110.14032): soft memory bound (density target * (1 + bound), decaying to the
  target), prune score |w| + lambda * |grad|; MEST_r regrows at random, MEST_g by gradient.
- GraNet (Liu et al. 2021, arXiv:2106.10404): denser random start, gradual magnitude pruning with the cubic
  schedule, and prune-and-regrow at every update; GraNet_r random, GraNet_g gradient regrowth.
"""

from __future__ import annotations

import torch

from .base import SparseTrainer
from .config import DSTConfig
from .registry import register_algorithm
from .schedules import (Constant, Cubic, Plan, RateDecay, SoftBound, Window, fraction_step, interval_steps,
                        merge_steps)


def dst_plan(config: DSTConfig, total_steps: int, initial: float, density, last_update: int = 0) -> Plan:
    """A prune-and-regrow plan: updates every ΔT until `update_end` (or `last_update` if later), regrowing the
    decayed prune rate while DST updates run."""
    dst_end = fraction_step(config.update_end, total_steps)
    steps = merge_steps(interval_steps(config.update_interval, 1, max(dst_end, last_update)),
                        total_steps=total_steps)
    regrow = Window(RateDecay(config.decay, config.prune_rate, total_steps), dst_end)
    return Plan(initial, steps, density, regrow, final_density=1.0 - config.sparsity)


class GradientGrowth:
    """Mixin: regrow where the step's |dense gradient| is largest (read only at update steps)."""

    uses_gradient = True

    def grow_score(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        del weight
        return self._abs_gradient(name)


@register_algorithm("set")
class SET(SparseTrainer):
    """Sparse Evolutionary Training: constant density, magnitude prune, random regrowth."""

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        density = 1.0 - config.sparsity
        return dst_plan(config, total_steps, density, Constant(density))


@register_algorithm("rigl")
class RigL(GradientGrowth, SET):
    """Rigged Lottery: SET with gradient regrowth."""


@register_algorithm("mest_r")
class MEST_r(SparseTrainer):
    """MEST with random regrowth: soft memory bound decaying to the target, |w| + lambda |g| prune score."""

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        bound = SoftBound(1.0 - config.sparsity, config.mest_bound,
                          RateDecay(config.mest_bound_decay, 1.0, total_steps))
        return dst_plan(config, total_steps, bound(0), bound)

    @classmethod
    def reads_gradient(cls, config: DSTConfig) -> bool:
        return cls.uses_gradient or config.mest_lambda != 0  # the prune score |w| + lambda |g| reads it

    def prune_score(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        score = weight.detach().abs().float()
        if self.config.mest_lambda:
            score += self.config.mest_lambda * self._abs_gradient(name)
        return score


@register_algorithm("mest_g")
class MEST_g(GradientGrowth, MEST_r):
    """MEST with gradient regrowth."""


@register_algorithm("granet_r")
class GraNet_r(SparseTrainer):
    """GraNet with random regrowth: cubic gradual pruning from a denser random start plus prune-and-regrow.
    With `prune_scope: global` (GraNet's own choice) the gradual pruning ranks all layers' magnitudes together."""

    global_prune = True

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        final = 1.0 - config.sparsity
        initial = max(config.granet_init_density, final)
        end = fraction_step(config.granet_end, total_steps)
        cubic = Cubic(initial, final, fraction_step(config.granet_start, total_steps), end)
        return dst_plan(config, total_steps, initial, cubic, last_update=end)


@register_algorithm("granet_g")
class GraNet_g(GradientGrowth, GraNet_r):
    """GraNet with gradient regrowth."""
