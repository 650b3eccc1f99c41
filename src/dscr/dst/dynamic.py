"""Dynamic sparse training: prune by magnitude, regrow at random (r) or by gradient (g), fixed or bounded budget.

- SET (Mocanu et al. 2018, arXiv:1707.04780): random sparse start, magnitude prune, uniform random regrowth.
- RigL (Evci et al. 2020, arXiv:1911.11134): SET with regrowth at the largest |dense gradient|.
- MEST (Yuan et al. 2021, arXiv:2110.14032): soft memory bound (density target * (1 + bound), decaying to the
  target, which the last mask update at or before `mest_bound_end` lands), prune score |w| + lambda * |grad|;
  MEST_r regrows at random, MEST_g by gradient.
- GraNet (Liu et al. 2021, arXiv:2106.10404): denser random start, gradual magnitude pruning with the cubic
  schedule, and prune-and-regrow at every update; GraNet_r random, GraNet_g gradient regrowth.

Every plan lands its final density at a mask update before the run's last optimizer step (a run too short for
any update starts at its target), so the model is always trained at the density it is evaluated at.
"""

from __future__ import annotations

import torch

from .base import SparseTrainer
from .config import DSTConfig
from .registry import register_algorithm
from .schedules import (Constant, Cubic, Plan, RateDecay, SoftBound, Window, fraction_step, interval_steps,
                        last_update_until, merge_steps)


def dst_update_steps(config: DSTConfig, total_steps: int, last_update: int = 0) -> tuple[int, ...]:
    """Every ΔT until `update_end` (or `last_update` if later), before the run's last step."""
    end = max(fraction_step(config.update_end, total_steps), last_update)
    return merge_steps(interval_steps(config.update_interval, 1, end), total_steps=total_steps)


def dst_plan(config: DSTConfig, total_steps: int, initial: float, density, steps: tuple[int, ...]) -> Plan:
    """A prune-and-regrow plan over update `steps`, regrowing the decayed prune rate while DST updates run."""
    regrow = Window(RateDecay(config.decay, config.prune_rate, total_steps),
                    fraction_step(config.update_end, total_steps))
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
        return dst_plan(config, total_steps, density, Constant(density), dst_update_steps(config, total_steps))


@register_algorithm("rigl")
class RigL(GradientGrowth, SET):
    """Rigged Lottery: SET with gradient regrowth."""


@register_algorithm("mest_r")
class MEST_r(SparseTrainer):
    """MEST with random regrowth: soft memory bound decaying to the target, |w| + lambda |g| prune score."""

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        steps = dst_update_steps(config, total_steps)
        # The bound decays over the updates up to `mest_bound_end` and is gone at the last of them.
        end = last_update_until(steps, fraction_step(config.mest_bound_end, total_steps))
        bound = SoftBound(1.0 - config.sparsity, config.mest_bound, RateDecay(config.mest_bound_decay, 1.0, end), end)
        return dst_plan(config, total_steps, bound(0), bound, steps)

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
    Its gradual pruning ranks all layers' magnitudes together under ER/ERK (GraNet's `--method GraNet`) and
    prunes every layer to the same density under uniform (GraNet's `--method GraNet_uniform`): `prune_scope`."""

    global_prune = True

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        final = 1.0 - config.sparsity
        end = fraction_step(config.granet_end, total_steps)
        steps = dst_update_steps(config, total_steps, last_update=end)
        end = min(end, steps[-1]) if steps else 0  # the cubic ends at an update, at the latest the last one
        initial = max(config.granet_init_density, final) if steps else final
        start = min(fraction_step(config.granet_start, total_steps), end)
        return dst_plan(config, total_steps, initial, Cubic(initial, final, start, end), steps)


@register_algorithm("granet_g")
class GraNet_g(GradientGrowth, GraNet_r):
    """GraNet with gradient regrowth."""
