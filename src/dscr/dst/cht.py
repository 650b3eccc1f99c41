"""Cannistraci-Hebb soft training, CHTs (Zhang et al., ICLR 2024, "Epitopological learning and Cannistraci-Hebb
network shape intelligence ...", and Zhang et al. 2025, arXiv:2501.19107, the soft rule), as this project
defines it. Every sparse weight is read as a bipartite graph: output units x input units (a conv weight's
input side is its flattened in-channel x kernel positions).

- Topology update every ΔT steps at constant density, with the decayed prune rate (like SET):
  - soft removal: the links kept are sampled without replacement with probability proportional to |w|
    (Gumbel-top-k on log |w|), instead of keeping the top |w| deterministically;
  - soft regrowth: the new links are sampled with probability proportional to a Cannistraci-Hebb
    path-of-length-3 score of the current topology. Here the score is the degree-normalised L3 score
    `s(o, i) = sum_{o', i'} A[o, i'] A[o', i'] A[o', i] / sqrt(deg(o') deg(i'))`, i.e. CH3-L3 with each
    intermediate node's external (out-of-community) degree approximated by its full degree.
- Initial topology (`chts_init`):
  - "csti", Correlated Sparse Topological Initialization: the first sparse layer links each output unit to
    the inputs most correlated (|Pearson r| on one training batch, read through `loss_closure`) with a
    randomly drawn anchor input of that unit; later layers start random (as SET). Without a batch it
    falls back to random.
  - "bsw", bipartite small world (Watts-Strogatz on a bipartite ring): each output unit links to the
    inputs nearest to its position on the ring, then a fraction `chts_beta` of the links is rewired at random.
All choices keep exact per-layer counts (top-k), so the configured distribution's density holds.
"""

from __future__ import annotations

import torch

from .dynamic import SET
from .masks import topk_mask
from .registry import register_algorithm

INITS = ("csti", "bsw")


def l3_scores(adjacency: torch.Tensor) -> torch.Tensor:
    """Degree-normalised length-3 path scores of every (output, input) pair of a bipartite adjacency.

    Args:
        adjacency: (out, in) 0/1 float tensor.

    Returns:
        (out, in) non-negative scores; pairs joined by no path of length 3 score 0.
    """
    a = adjacency.float()
    deg_out, deg_in = a.sum(1).clamp_min(1.0), a.sum(0).clamp_min(1.0)
    normalised = a / (deg_out.sqrt()[:, None] * deg_in.sqrt()[None, :])
    return a @ normalised.T @ a


def gumbel_like(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Gumbel(0, 1) noise shaped like x: top-k of log p + Gumbel samples k items without replacement ∝ p."""
    u = torch.rand(x.shape, generator=generator).clamp_(1e-12, 1 - 1e-7)
    return (-torch.log(-torch.log(u))).to(x.device)


def soft_sample_score(weights: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Scores whose top-k is a sample without replacement with probability ∝ `weights` (zeros come last)."""
    return torch.log(weights.float().clamp_min(0) + 1e-12) + gumbel_like(weights, generator)


def ring_lattice_scores(out_units: int, in_units: int) -> torch.Tensor:
    """Minus the circular distance between each input and each output unit's position on the input ring."""
    centre = (torch.arange(out_units, dtype=torch.float64) + 0.5) * in_units / out_units
    inputs = torch.arange(in_units, dtype=torch.float64) + 0.5
    gap = (inputs[None, :] - centre[:, None]).abs()
    return -torch.minimum(gap, in_units - gap)


@register_algorithm("chts")
class CHTs(SET):
    """CHTs: soft magnitude removal and soft CH (L3) regrowth at constant density; CSTI or BSW initial topology."""

    def _flat(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        return tensor.reshape(self.shapes[name][0], -1)

    def prune_score(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        del name
        return soft_sample_score(weight.detach().abs(), self.generator)

    def grow_score(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        scores = l3_scores(self._flat(name, self.masks[name]))
        return soft_sample_score(scores, self.generator).reshape(weight.shape)

    def initial_masks(self, loss_closure) -> dict[str, torch.Tensor]:
        init = self.config.chts_init
        if init not in INITS:
            raise ValueError(f"chts_init '{init}'; allowed: {', '.join(INITS)}")
        counts = self.counts_for(self.plan.initial_density, by_magnitude=False)
        first_inputs = self._first_layer_inputs(loss_closure) if init == "csti" else None
        codes = {}
        for index, (name, shape) in enumerate(self.shapes.items()):
            out_units, in_units = shape[0], self.weights[name][0].numel()
            if init == "bsw":
                scores = self._small_world(out_units, in_units, counts[name])
            elif index == 0 and first_inputs is not None and first_inputs.shape[1] == in_units:
                scores = self._correlated(first_inputs, out_units)
            else:
                scores = torch.rand((out_units, in_units), generator=self.generator)
            codes[name] = topk_mask(scores.reshape(shape), counts[name]).to(self.weights[name].device, torch.uint8)
        return codes

    def _first_layer_inputs(self, loss_closure) -> torch.Tensor | None:
        """The inputs the first sparse layer sees on one training batch (flattened), or None without a batch."""
        if loss_closure is None:
            return None
        first = next(iter(self.weights.values()))
        module = next((m for m in self.model.modules() if getattr(m, "weight", None) is first), None)
        if module is None or first.dim() != 2:  # CSTI correlates input features of a linear layer
            return None
        seen: list[torch.Tensor] = []
        handle = module.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().flatten(1)))
        try:
            with torch.no_grad():
                loss_closure()
        finally:
            handle.remove()
        return seen[0].float().cpu() if seen else None

    def _correlated(self, inputs: torch.Tensor, out_units: int) -> torch.Tensor:
        """CSTI scores: |corr(anchor input of the unit, input)|, ties broken at random."""
        x = inputs - inputs.mean(0)
        x = x / x.norm(dim=0).clamp_min(1e-12)
        corr = (x.T @ x).abs()  # (in, in) |Pearson r|; constant inputs correlate with nothing
        anchors = torch.randint(0, corr.shape[0], (out_units,), generator=self.generator)
        return corr[anchors] + 1e-6 * torch.rand((out_units, corr.shape[0]), generator=self.generator)

    def _small_world(self, out_units: int, in_units: int, count: int) -> torch.Tensor:
        """BSW scores: the ring lattice's `count` links, a fraction beta of them swapped for random others."""
        lattice = topk_mask(ring_lattice_scores(out_units, in_units)
                            + 1e-6 * torch.rand((out_units, in_units), generator=self.generator, dtype=torch.float64),
                            count)
        beta = self.config.chts_beta
        rewired = int(round(beta * count))
        noise = torch.rand((out_units, in_units), generator=self.generator)
        dropped = topk_mask(torch.where(lattice, noise, -1.0), rewired)
        added = topk_mask(torch.where(lattice, -1.0, torch.rand((out_units, in_units), generator=self.generator)),
                          rewired)
        return ((lattice & ~dropped) | added).float()
