"""Cannistraci-Hebb soft training, CHTs, as the CHT codebase runs it (biomedical-cybernetics/Cannistraci-Hebb-training
`mlp_and_cnn`, its README's CHTs command: `--regrow_method CH3_L3p_soft --remove_method weight_magnitude --init_mode
swi --chain_removal --EM_S --self_correlated_sparse --dim 2`, or `--WS` for BSW), the codebase the paper names for
Table 8 (appendix A.3.1). Zhang et al., ICLR 2024, "Epitopological learning and Cannistraci-Hebb network shape
intelligence ..." (CHT) and arXiv:2501.19107 (the soft rule, CHTs). Every sparse weight is read as a bipartite graph,
output units x input units (a conv weight's input side is its flattened in-channel x kernel positions).

What it does, with the codebase's function in brackets:
- Schedule (`DSTScheduler`, `--EM_S`): topology updates every ΔT steps until 75 % of training (T_end); the density
  is the target + 0.05 up to 0.6 T_end, + 0.025 until T_end - ΔT, then the target. Each update removes down to the
  target density and regrows the phase's extra links.
- Removal: the smallest |w| (`weight_magnitude`), then chain removal (`remove_unactive_links_backward/forward`):
  links of hidden neurons left without outgoing (or incoming) links in the adjacent sparse layer are removed too.
- Regrowth: CH3-L3 scores (`CH_scores_new_v2.cpp`, `CH3_L3p`): for a missing link (o, i), the sum over paths
  o - u - v - i of 1 / sqrt((1 + de_u)(1 + de_v)), de the external degree of each intermediate node (its links
  outside the path's local community and the two end nodes), on the topology left after removal; new links are
  sampled without replacement with probability proportional to the score (`_soft`), and when fewer free links than
  needed score above 0, 1e-5 is added to every free score, as the codebase does.
- Initial topology (`chts_init`): "csti" (`update_topology_scheduler` with `--dim 2`): every 2-D sparse layer links
  the (o, i) pairs with the largest |Pearson r| between input features o mod F and i mod F of the first sparse
  layer's F inputs (the 2x2 tiling of the correlation matrix); "bsw" (`create_ws_sparse_scheduler`): a bipartite
  ring lattice, every node of the larger side linked to a contiguous arc of the smaller side, each link rewired with
  probability `chts_beta`.
- Weights (`reset_parameters`, `--init_mode swi`): sparse weight initialisation, N(0, 2 / (density x fan_in)).

Differences from the codebase, and why:
- Counts are exact (top-k; the project's rule): the codebase thresholds CSTI (ties add links), regrows a fixed
  0.05 N / 0.025 N even after chain removal took more (its density drifts below the schedule), and applies +0.05 to
  every layer's density under its uniform distribution; here the schedule is the global density, split by the
  configured distribution, and regrowth fills each layer back to its count.
- CSTI correlates the inputs of the one training batch the loop's `loss_closure` sees (8 images in the Table 3
  recipe), the codebase the whole training set; without a batch, or for conv layers, the topology is random.
- A link removed and regrown in the same update restarts at zero (the project's rule); the codebase keeps its value.
- ΔT comes from the config (Table 3: 300 steps), the codebase updates once per epoch; `prune_rate` and `decay` are
  not used (the EM_S phases set the removal). The codebase's SWI reads fan-out for `nn.Linear` (its scheduler
  transposes the formula of its own sparse layer, N(0, 2 / (density x indim))); the formula is followed here.
- `chts_beta` defaults to 0.25; the codebase's default is 1.0 and the value behind Table 8 is not stated.
- The codebase keeps the classifier dense; here the config's `dense_last_layer` decides.
"""

from __future__ import annotations

import math

import torch

from .base import GROWN, KEPT, SparseTrainer
from .config import DSTConfig
from .masks import masked_scores, topk_mask
from .registry import register_algorithm
from .schedules import Phases, Plan, interval_steps, merge_steps

INITS = ("csti", "bsw")
EM_S_EXTRA = (0.05, 0.025)  # density above the target in the two EM_S phases (the codebase's --EM_S)
T_END = 0.75  # topology updates stop at 75 % of training under EM_S
PHASE_ONE_END = 0.6  # of T_end
FLOOR_SCORE = 1e-5  # added to every free score when too few are positive


def ch3_l3_scores(adjacency: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """CH3-L3 scores of every absent link (o, i) of a bipartite adjacency (outputs x inputs).

    score(o, i) = sum over paths o - u - v - i (u an input of o, v an output of i, u - v a link) of
    1 / sqrt((1 + de_u) (1 + de_v)), with de_u = deg(u) - 1 - #{v': u - v' - i} and de_v = deg(v) - 1 -
    #{u': o - u' - v}: each intermediate node's links that leave the local community of (o, i). Summed as
    sum over the edges (o, u) of g[u, i] * (sum over v of A[v, u] h[o, v] A[v, i]): one matrix product per chunk
    of edges instead of walking the paths (the terms v = o and i = u need A[o, i] = 1, so absent links have none).

    Args:
        adjacency: (out, in) 0/1 tensor.
        chunk: edges per matrix product (bounds memory).

    Returns:
        (out, in) float scores; entries of existing links are not meaningful (the callers mask them).
    """
    af = adjacency.bool().float()
    deg_out, deg_in = af.sum(1), af.sum(0)
    h = (deg_out[None, :] - af @ af.T).clamp_min(1.0).rsqrt()  # h[o, v] = 1 / sqrt(1 + de_v) on paths from o
    g = (deg_in[:, None] - af.T @ af).clamp_min(1.0).rsqrt()  # g[u, i] = 1 / sqrt(1 + de_u) on paths to i
    o_edge, u_edge = af.nonzero(as_tuple=True)
    scores = torch.zeros_like(af)
    for start in range(0, len(o_edge), chunk):
        o, u = o_edge[start:start + chunk], u_edge[start:start + chunk]
        through = (af.T[u] * h[o]) @ af  # [e, i] = sum over v of A[v, u] h[o, v] A[v, i], for edge e = (o, u)
        scores.index_add_(0, o, through * g[u])
    return scores


def gumbel_like(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Gumbel(0, 1) noise shaped like x: top-k of log p + Gumbel samples k items without replacement ∝ p."""
    u = torch.rand(x.shape, generator=generator, dtype=torch.float64).clamp_(1e-12, 1 - 1e-12)
    return (-torch.log(-torch.log(u))).to(x.device)


def soft_sample_score(weights: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Scores whose top-k is a sample without replacement with probability ∝ `weights` (zeros come last)."""
    return torch.log(weights.double().clamp_min(0) + 1e-300) + gumbel_like(weights, generator)


def chain_removal(kept: dict[str, torch.Tensor], chain: list[str]) -> None:
    """Remove, in place, links of neurons that lost all outgoing (backward pass) or incoming (forward pass)
    links in the next / previous layer of the chain (consecutive 2-D sparse weights, out x in)."""
    for upper, lower in zip(reversed(chain[1:]), reversed(chain[:-1])):
        kept[lower] &= kept[upper].any(dim=0)[:, None]
    for lower, upper in zip(chain[:-1], chain[1:]):
        kept[upper] &= kept[lower].any(dim=1)[None, :]


def ring_lattice(small: int, large: int, degrees: torch.Tensor) -> torch.Tensor:
    """(small, large) bipartite ring lattice: node i of the larger side links the `degrees[i]` consecutive nodes
    (mod small) of the smaller side from trunc(i * small / large - degrees[i] / 2) on."""
    node = torch.repeat_interleave(torch.arange(large), degrees)
    step = torch.arange(int(degrees.sum())) - torch.repeat_interleave(torch.cumsum(degrees, 0) - degrees, degrees)
    first = torch.trunc(node * (small / large) - degrees[node] / 2).long()
    lattice = torch.zeros(small, large, dtype=torch.bool)
    lattice[(first + step) % small, node] = True
    return lattice


def bsw_topology(shape: tuple[int, int], count: int, beta: float, generator: torch.Generator) -> torch.Tensor:
    """Bipartite small world (`create_ws_sparse_scheduler`): the ring lattice with degrees int(k) or int(k) + 1
    (k = count / larger side, mixed as the codebase mixes them), each link dropped with probability beta, then
    links added (or, for exact counts, taken) uniformly at random until `count` remain."""
    small, large = min(shape), max(shape)
    k = count / large
    low = int(k)
    degrees = torch.tensor([low] * int(large * (low + 1 - k)) + [low + 1] * int(large * (k - low) + 1))
    degrees = degrees[torch.randperm(len(degrees), generator=generator)][:large]
    lattice = ring_lattice(small, large, degrees)
    links = lattice & ~(torch.rand(small, large, generator=generator) < beta)
    noise = torch.rand(small, large, generator=generator)
    have = int(links.sum())
    if have < count:
        links |= topk_mask(torch.where(links, -1.0, noise), count - have)
    elif have > count:
        links &= ~topk_mask(torch.where(links, noise, -1.0), have - count)
    return links if shape[0] == small else links.T


@register_algorithm("chts")
class CHTs(SparseTrainer):
    """CHTs: magnitude removal with chain removal, soft CH3-L3 regrowth, EM_S density schedule, CSTI or BSW
    initial topology, SWI weights."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._chain = self._find_chain()
        with torch.no_grad():
            self._swi()

    @classmethod
    def make_plan(cls, config: DSTConfig, total_steps: int) -> Plan:
        target = 1.0 - config.sparsity
        t_end = T_END * total_steps
        second = math.floor(PHASE_ONE_END * t_end) + 1  # the codebase tests `step <= 0.6 T_end` first
        phases = Phases((0, second, max(second, math.ceil(t_end - config.update_interval))),
                        tuple(min(1.0, target + e) for e in EM_S_EXTRA) + (target,))
        steps = merge_steps(interval_steps(config.update_interval, 1, math.ceil(t_end) - 1),
                            total_steps=total_steps)
        return Plan(phases(0), steps, phases, lambda step: 1.0 - target / phases(step), final_density=target)

    def initial_masks(self, loss_closure) -> dict[str, torch.Tensor]:
        init = self.config.chts_init
        if init not in INITS:
            raise ValueError(f"chts_init '{init}'; allowed: {', '.join(INITS)}")
        counts = self.counts_for(self.plan.initial_density, by_magnitude=False)
        corr = self._input_correlation(loss_closure) if init == "csti" else None
        codes = {}
        for name, shape in self.shapes.items():
            if init == "bsw" and len(shape) == 2:
                mask = bsw_topology(shape, counts[name], self.config.chts_beta, self.generator)
            else:
                scores = torch.rand(shape, generator=self.generator, dtype=torch.float64)
                if corr is not None and len(shape) == 2:  # CSTI; ties (the tiling repeats values) broken at random
                    f = corr.shape[0]
                    scores = corr[torch.arange(shape[0]) % f][:, torch.arange(shape[1]) % f] + 1e-9 * scores
                mask = topk_mask(scores, counts[name])
            codes[name] = mask.to(self.weights[name].device, torch.uint8)
        return codes

    def _update(self, step: int, density: float, regrow_fraction: float) -> None:
        with torch.no_grad():
            counts = self.counts_for(density)
            kept = {}
            for name, weight in self.weights.items():
                active = self.masks[name].bool()
                n_keep = min(counts[name] - int(round(regrow_fraction * counts[name])), int(active.sum()))
                kept[name] = topk_mask(masked_scores(weight.detach().abs(), active), max(n_keep, 0))
            chain_removal(kept, self._chain)
            codes = {}
            for name, mask in kept.items():
                grown = self._soft_growth(mask, counts[name] - int(mask.sum()))
                codes[name] = mask.to(torch.uint8) * KEPT + grown.to(torch.uint8) * GROWN
            self._commit(codes, log_step=step)

    def _soft_growth(self, kept: torch.Tensor, n_grow: int) -> torch.Tensor:
        """`n_grow` free links sampled ∝ CH3-L3 score on the kept topology."""
        if n_grow <= 0:
            return torch.zeros_like(kept)
        flat = kept.reshape(kept.shape[0], -1)
        free = ~flat
        scores = ch3_l3_scores(flat) * free
        if int((scores > 0).sum()) < n_grow:
            scores = (scores + FLOOR_SCORE) * free
        sample = soft_sample_score(scores, self.generator)
        return topk_mask(masked_scores(sample, free), n_grow).reshape(kept.shape)

    def _find_chain(self) -> list[str]:
        """The sparse weights as one chain of consecutive linear layers (each one's inputs the previous one's
        outputs), or [] when they are not (conv nets: no chain removal)."""
        names = list(self.shapes)
        shapes = [self.shapes[n] for n in names]
        if len(names) < 2 or any(len(s) != 2 for s in shapes):
            return []
        return names if all(b[1] == a[0] for a, b in zip(shapes, shapes[1:])) else []

    def _swi(self) -> None:
        """SWI: sparse weights drawn from N(0, 2 / (density x fan_in)), masked."""
        for name, weight in self.weights.items():
            density = self._layer_density[name]
            fan_in = weight[0].numel()
            std = math.sqrt(2.0 / max(density * fan_in, 1e-12))
            fresh = torch.randn(weight.shape, generator=self.generator) * std
            weight.copy_(fresh.to(weight.device, weight.dtype) * self.masks[name])

    def _input_correlation(self, loss_closure) -> torch.Tensor | None:
        """|Pearson r| between the first sparse layer's input features on one training batch (diagonal and
        undefined entries 0), or None without a batch or when that layer is not linear."""
        if loss_closure is None:
            return None
        first = next(iter(self.weights.values()))
        module = next((m for m in self.model.modules() if getattr(m, "weight", None) is first), None)
        if module is None or first.dim() != 2:
            return None
        seen: list[torch.Tensor] = []
        handle = module.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().flatten(1)))
        try:
            with torch.no_grad():
                loss_closure()
        finally:
            handle.remove()
        if not seen:
            return None
        x = seen[0].double().cpu()
        x = x - x.mean(0)
        norm = x.norm(dim=0)
        corr = (x.T @ x) / (norm[:, None] * norm[None, :])
        corr = torch.nan_to_num(corr.abs(), nan=0.0, posinf=0.0)
        corr.fill_diagonal_(0.0)
        return corr
