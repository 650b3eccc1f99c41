"""Dense training, static masks and dense-to-sparse pruning baselines, each within ONE training run.

Phases are fractions of the run's optimizer steps (see DSTConfig):

- Dense: no masks.
- StaticRandom: a random mask with the distribution's exact counts, fixed for the whole run.
- SNIP (Lee et al. 2019, arXiv:1810.02340): connection sensitivity |g * w| on one training batch at creation,
  global top-k, fixed mask.
- OMP: train dense until `omp_prune_at`, prune once by magnitude, keep training the surviving weights
  (the companion paper retrains a fully trained dense model; in one run the loop's LR schedule continues).
- LTH (Frankle & Carbin 2019, one-shot): as OMP, but the surviving weights are rewound to their values at
  creation and every optimizer state is cleared (BatchNorm running statistics are not rewound).
- GMP (Zhu & Gupta 2017, arXiv:1710.01878): cubic sparsification from `gmp_start` to `gmp_end`, every ΔT.
- AC/DC (Peste et al. 2021, arXiv:2106.12379): dense warm-up, then alternating compressed (magnitude-pruned)
  and decompressed (dense; re-grown weights start at zero) phases, ending with a compressed fine-tuning phase.

Magnitude pruning is global or per layer by `prune_scope`; pruned weights never come back except in AC/DC's
decompressed phases. A phase that would end at the run's last step ends one step earlier, so the final masks
are always trained.
"""

from __future__ import annotations

import torch
from torch import nn

from . import sync
from .base import SparseTrainer
from .config import DSTConfig
from .masks import topk_mask
from .registry import register_algorithm
from .schedules import Constant, Cubic, Phases, Plan, fraction_step, interval_steps, merge_steps, update_step


def _static_plan(density: float) -> Plan:
    return Plan(density, (), Constant(density), Constant(0.0), final_density=density)


@register_algorithm("dense")
class Dense(SparseTrainer):
    """Dense training: no weight is sparsified, `step()` only counts steps."""

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        return _static_plan(1.0)

    def __init__(self, model: nn.Module, *args, **kwargs):
        super().__init__(nn.Module(), *args, **kwargs)  # an empty module: nothing to mask
        self.model = model


@register_algorithm("static_random")
class StaticRandom(SparseTrainer):
    """Static sparse training from a random mask."""

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        return _static_plan(1.0 - config.sparsity)


@register_algorithm("snip")
class SNIP(StaticRandom):
    """Static mask from single-shot connection sensitivity |dL/dw * w| (global)."""

    def initial_masks(self, loss_closure) -> dict[str, torch.Tensor]:
        if loss_closure is None:
            raise ValueError("snip needs loss_closure: a callable returning the loss on one training batch")
        weights = list(self.weights.values())
        with torch.enable_grad():
            grads = torch.autograd.grad(loss_closure(), weights, allow_unused=True)
        scores = [(torch.zeros_like(w) if g is None else (g * w).abs()).float() for w, g in zip(weights, grads)]
        flat = torch.cat([s.reshape(-1) for s in scores])
        sync.all_reduce_mean_(flat)
        chosen = topk_mask(flat, int(round(self.plan.initial_density * flat.numel())))
        sizes = [w.numel() for w in weights]
        return {name: part.view(w.shape).to(torch.uint8)
                for (name, w), part in zip(self.weights.items(), torch.split(chosen, sizes))}


@register_algorithm("omp")
class OMP(SparseTrainer):
    """One-shot magnitude pruning at `omp_prune_at`, continuing from the trained weights."""

    global_prune = True

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        final = 1.0 - config.sparsity
        at = max(1, update_step(config.omp_prune_at, total_steps))
        return Plan(1.0, merge_steps((at,), total_steps=total_steps), Phases((0, at), (1.0, final)),
                    Constant(0.0), final_density=final)


@register_algorithm("lth")
class LTH(OMP):
    """One-shot lottery ticket: prune as OMP, then rewind the survivors (and all other parameters) to init."""

    def __init__(self, model: nn.Module, *args, **kwargs):
        self._initial = {name: p.detach().clone() for name, p in model.named_parameters()}
        super().__init__(model, *args, **kwargs)

    def on_update(self, step: int) -> None:
        if self._initial is None:
            return
        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for name, value in self._initial.items():
                params[name].copy_(value)
            sync.broadcast_tensors_(list(params.values()))
            self._apply_masks()
        if self.optimizer is not None:
            for p in params.values():
                self.optimizer.state.pop(p, None)
        self._initial = None

    def extra_state(self) -> dict:
        return {"initial": self._initial}

    def load_extra_state(self, state: dict) -> None:
        initial = state.get("initial")
        self._initial = None if initial is None else {k: v.to(self._device()) for k, v in initial.items()}

    def _device(self) -> torch.device:
        return next(iter(self.weights.values())).device


@register_algorithm("gmp")
class GMP(SparseTrainer):
    """Gradual magnitude pruning with the cubic schedule from dense to the target."""

    global_prune = True

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        final = 1.0 - config.sparsity
        end = update_step(config.gmp_end, total_steps)
        start = min(fraction_step(config.gmp_start, total_steps), end)
        steps = merge_steps(interval_steps(config.update_interval, start, end), (end,), total_steps=total_steps)
        return Plan(1.0, steps, Cubic(1.0, final, start, end), Constant(0.0), final_density=final)


@register_algorithm("acdc")
class ACDC(SparseTrainer):
    """Alternating compressed / decompressed training."""

    global_prune = True

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        final = 1.0 - config.sparsity
        warmup = fraction_step(config.acdc_warmup, total_steps)
        phase = max(1, fraction_step(config.acdc_phase, total_steps))
        last = update_step(1.0 - config.acdc_final, total_steps)
        starts, values, t, compressed = [0], [1.0], max(warmup, 1), True
        while t < last:
            starts.append(t)
            values.append(final if compressed else 1.0)
            t, compressed = t + phase, not compressed
        starts.append(max(last, 1))
        values.append(final)
        return Plan(1.0, merge_steps(starts[1:], total_steps=total_steps), Phases(tuple(starts), tuple(values)),
                    Constant(0.0), final_density=final)
