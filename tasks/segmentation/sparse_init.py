"""Start a DST algorithm from a pruned pretrained network instead of a random sparse topology.

The paper's segmentation protocol (appendix A.9): "we first prune the backbone to obtain the sparse model, then
perform sparse fine-tuning", because the VGG16 backbone is ImageNet-pretrained. It does not name the pruning
criterion; we keep, in every layer, the largest-magnitude pretrained weights, with the per-layer counts of the
configured distribution (ERK in Table 3), i.e. one-shot layer-wise magnitude pruning. After that the algorithm
(SET) runs unchanged.

This is generic DST logic built on `dscr.dst`'s public hooks (a mixin overriding `initial_masks`, as the style
guide's mixins do), not anything mmseg-specific; it belongs in `dscr.dst` as an `init_masks` option and lives
here only until that exists.
"""

from __future__ import annotations

from typing import Literal

import torch

from dscr import dst
from dscr.dst.masks import topk_mask

MaskInit = Literal["magnitude", "random"]


class MagnitudeInitMixin:
    """Initial masks keep each layer's largest-|w| weights (the distribution's exact per-layer counts)."""

    def initial_masks(self, loss_closure) -> dict[str, torch.Tensor]:
        del loss_closure
        counts = self.counts_for(self.plan.initial_density, by_magnitude=False)
        return {name: topk_mask(weight.detach().abs().float(), counts[name]).to(torch.uint8)
                for name, weight in self.weights.items()}


def create_sparsifier(model: torch.nn.Module, optimizer: torch.optim.Optimizer, config: dst.DSTConfig,
                      total_steps: int, init: MaskInit = "magnitude", seed: int = 0):
    """`dscr.dst.create`, optionally starting from magnitude-pruned weights.

    Args:
        model: the unwrapped module whose conv/linear weights are sparsified.
        optimizer: its optimizer (moments of pruned weights are reset).
        config: DST settings (algorithm, sparsity, distribution, ΔT, P, decay).
        total_steps: optimizer steps of the whole run.
        init: "magnitude" prunes the current (pretrained) weights by layer-wise magnitude; "random" keeps the
            algorithm's own initial masks (random for SET).
        seed: seed of the sparsifier's generator (random regrowth).

    Returns:
        The sparsifier (a `dscr.dst.SparseTrainer`).
    """
    if total_steps < 1:
        raise ValueError(f"total_steps: {total_steps}; must be >= 1")
    if init == "random":
        return dst.create(model, optimizer, config, total_steps, seed=seed)
    if init != "magnitude":
        raise ValueError(f"mask init '{init}' is unknown; allowed: magnitude, random")
    base = dst.get_algorithm(config.algorithm)
    pruned = type(f"{base.__name__}FromMagnitude", (MagnitudeInitMixin, base), {"name": base.name})
    return pruned(model, optimizer, config, total_steps, seed=seed)
