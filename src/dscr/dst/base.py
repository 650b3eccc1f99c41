"""The shared base of every algorithm: masks, their application, optimizer-state resets, DDP sync, state.

Life cycle (called by the training loop after every `optimizer.step()`, while `.grad` still holds the step's
gradients):

1. re-apply the masks to the weights (one fused multiply): whatever the optimizer's momentum, Adam moments or
   weight decay did to a pruned weight is undone before the next forward pass;
2. on an update step of the algorithm's `Plan`, choose new masks by exact counts (`masks.prune_and_grow`),
   take rank 0's masks, zero the weights that are not kept (pruned and grown ones: grown weights start at zero),
   and zero every optimizer state tensor shaped like the weight at those positions (SGD momentum, Adam/AdamW
   exp_avg, exp_avg_sq, max_exp_avg_sq);
3. nothing after the run's last update: every `Plan` lands its final density at an update before the last
   optimizer step (checked when the plan is made), so no weight is removed that training never sees.

Non-update steps therefore cost one `torch._foreach_mul_`, and gradients are read only on update steps.
Subclasses override hooks only: `make_plan`, `prune_score`, `grow_score`, `initial_masks`, `on_update`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import sync
from .config import DSTConfig
from .distributions import layer_counts
from .layers import select_sparse_weights
from .masks import prune_and_grow, topk_mask
from .schedules import Plan

KEPT, GROWN = 1, 2  # codes broadcast from rank 0: 0 inactive, 1 kept (value preserved), 2 grown (restarts at 0)


class SparseTrainer:
    """Base class: owns the masks of the selected weights and follows the algorithm's `Plan`.

    Attributes:
        name: registry name, set by `register_algorithm`.
        uses_gradient: True when scores always read `.grad` at update steps; `reads_gradient(config)` also
            says so for a setting that makes them read it (MEST_r's lambda). FLOPs count that work.
        global_prune: True when magnitude pruning may decide per-layer counts by global magnitude (it does when
            `config.global_pruning()`).
        masks: parameter name -> 0/1 tensor in the weight's dtype.
        update_log: one dict per mask change: step, global and per-layer density, pruned and grown counts.
    """

    name = "base"
    uses_gradient = False
    global_prune = False

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None, config: DSTConfig,
                 total_steps: int, loss_closure=None, seed: int = 0):
        self.model, self.optimizer, self.config = model, optimizer, config
        self.total_steps = int(total_steps)
        self.plan = self.make_plan(config, self.total_steps)
        self.weights = select_sparse_weights(model, config)
        self.shapes = {name: tuple(w.shape) for name, w in self.weights.items()}
        self.generator = torch.Generator().manual_seed(int(seed))
        self.step_count = 0
        self.update_log: list[dict] = []
        self._update_steps = frozenset(self.plan.update_steps)
        self.masks = {name: torch.ones_like(w, memory_format=torch.preserve_format)
                      for name, w in self.weights.items()}
        with torch.no_grad():
            codes = self.initial_masks(loss_closure)
            self._commit(codes, log_step=0)

    # ----------------------------------------------------------------- hooks
    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        """The algorithm's schedule; see `schedules.Plan`."""
        raise NotImplementedError

    @classmethod
    def reads_gradient(cls, config: DSTConfig) -> bool:
        """Whether a run with `config` reads the dense `.grad` at update steps (FLOPs count that work)."""
        del config
        return cls.uses_gradient

    def prune_score(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        """Higher keeps the weight. Default: magnitude (positive and negative weights alike)."""
        del name
        return weight.abs()

    def grow_score(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        """Higher grows the position. Default: uniform random over the free positions (SET)."""
        return torch.rand(weight.shape, generator=self.generator).to(weight.device)

    def initial_masks(self, loss_closure) -> dict[str, torch.Tensor]:
        """Codes of the masks at creation. Default: random with the distribution's exact counts."""
        del loss_closure
        counts = self.counts_for(self.plan.initial_density, by_magnitude=False)
        return {name: topk_mask(torch.rand(shape, generator=self.generator), counts[name])
                .to(self.weights[name].device, torch.uint8) for name, shape in self.shapes.items()}

    def on_update(self, step: int) -> None:
        """Called after the masks of an update step are committed (LTH rewinds here)."""

    # ----------------------------------------------------------------- public API
    def step(self) -> None:
        """Call once after every `optimizer.step()`, before the gradients are cleared."""
        self.step_count += 1
        if self._masking:
            with torch.no_grad():
                torch._foreach_mul_(self._weight_list, self._mask_list)
        if self.step_count in self._update_steps:
            self._update(self.step_count, self.plan.density(self.step_count),
                         self.plan.regrow_fraction(self.step_count))
            self.on_update(self.step_count)

    def densities(self) -> dict:
        """{"global": non-zero fraction over the sparsified weights, "layers": {name: fraction}}."""
        return {"global": self._global_density, "layers": dict(self._layer_density)}

    def state_dict(self) -> dict:
        """Masks, schedule step, RNG state and mask-update history (everything needed to resume exactly)."""
        return {"algorithm": self.name, "step": self.step_count,
                "masks": {name: m.detach().to("cpu", torch.bool) for name, m in self.masks.items()},
                "generator": self.generator.get_state(), "update_log": [dict(e) for e in self.update_log],
                "extra": self.extra_state()}

    def load_state_dict(self, state: dict) -> None:
        """Restore what `state_dict` returned (call after the model's and the optimizer's state)."""
        if state.get("algorithm", self.name) != self.name:
            raise ValueError(f"checkpoint holds '{state['algorithm']}' masks, this run uses '{self.name}'")
        if set(state["masks"]) != set(self.masks):
            raise ValueError("checkpoint masks name other weights than this model's sparse weights")
        with torch.no_grad():
            for name, mask in state["masks"].items():
                self.masks[name].copy_(mask)
        self.step_count = int(state["step"])
        self.generator.set_state(state["generator"])
        self.update_log = [dict(e) for e in state["update_log"]]
        self.load_extra_state(state.get("extra", {}))
        self._refresh()
        with torch.no_grad():
            self._apply_masks()

    def extra_state(self) -> dict:
        """Algorithm-specific state to checkpoint."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        """Restore `extra_state`."""
        del state

    # ----------------------------------------------------------------- mechanics
    def counts_for(self, density: float, by_magnitude: bool = True) -> dict[str, int]:
        """Per-layer non-zero counts at a global `density`: the distribution's counts, or (global pruning
        that removes weights) the layers' shares of the global top-|w| among the active weights."""
        total = sum(math.prod(s) for s in self.shapes.values())
        target = int(round(density * total))
        active = sum(int(m.count_nonzero()) for m in self.masks.values())
        if not (by_magnitude and self.global_prune and self.config.global_pruning() and target <= active):
            return layer_counts(self.shapes, density, self.config.distribution)
        scores = torch.cat([torch.where(self.masks[n].bool(), w.detach().abs().float(), float("-inf")).reshape(-1)
                            for n, w in self.weights.items()])
        chosen = topk_mask(scores, target)
        sizes = [w.numel() for w in self.weights.values()]
        return {n: int(part.sum()) for n, part in zip(self.weights, torch.split(chosen, sizes))}

    def _update(self, step: int, density: float, regrow_fraction: float) -> None:
        with torch.no_grad():
            counts = self.counts_for(density)
            codes = {}
            for name, weight in self.weights.items():
                n_target = counts[name]
                kept, grown = prune_and_grow(
                    self.masks[name].bool(), self.prune_score(name, weight),
                    lambda n=name, w=weight: self.grow_score(n, w),
                    n_target, int(round(regrow_fraction * n_target)))
                codes[name] = kept.to(torch.uint8) * KEPT + grown.to(torch.uint8) * GROWN
            self._commit(codes, log_step=step)

    def _commit(self, codes: dict[str, torch.Tensor], log_step: int) -> None:
        """Take rank 0's codes, zero what is not kept (weights and optimizer moments), install the masks."""
        names = list(codes)
        codes = dict(zip(names, sync.broadcast_from_rank0([codes[n] for n in names])))
        pruned = grown = 0
        for name, code in codes.items():
            weight, old = self.weights[name], self.masks[name]
            kept = (code == KEPT).to(weight.dtype)
            pruned += int((old.bool() & (code != KEPT)).sum())
            grown += int((code == GROWN).sum())
            weight.mul_(kept)
            self._reset_optimizer_state(weight, kept)
            old.copy_(code != 0)
        self._refresh()
        self.update_log.append({"step": log_step, "global": self._global_density,
                                "layers": dict(self._layer_density), "pruned": pruned, "grown": grown})

    def _reset_optimizer_state(self, weight: torch.Tensor, kept: torch.Tensor) -> None:
        if self.optimizer is None:
            return
        for value in self.optimizer.state.get(weight, {}).values():
            if torch.is_tensor(value) and value.shape == weight.shape:
                value.mul_(kept.to(value.dtype))

    def _apply_masks(self) -> None:
        if self._masking:
            torch._foreach_mul_(self._weight_list, self._mask_list)

    def _refresh(self) -> None:
        """Recompute cached densities and the list views used by the per-step multiply."""
        nonzero = {name: int(m.count_nonzero()) for name, m in self.masks.items()}
        total = sum(m.numel() for m in self.masks.values())
        self._layer_density = {name: nonzero[name] / self.masks[name].numel() for name in self.masks}
        self._global_density = sum(nonzero.values()) / total if total else 1.0
        self._masking = any(nonzero[name] < self.masks[name].numel() for name in self.masks)
        self._weight_list = list(self.weights.values())
        self._mask_list = [self.masks[name] for name in self.weights]

    def _abs_gradient(self, name: str) -> torch.Tensor:
        """The step's dense gradient of a sparse weight (w.r.t. the masked weight), averaged over ranks."""
        grad = self.weights[name].grad
        if grad is None:
            if all(w.grad is None for w in self.weights.values()):
                raise RuntimeError(f"{self.name} reads .grad at update steps: call sparsifier.step() after "
                                   "optimizer.step() and before optimizer.zero_grad()")
            return torch.zeros_like(self.weights[name])
        return sync.all_reduce_mean_(grad.detach().abs().float())
