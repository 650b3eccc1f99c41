"""The vendored DST module (imports torch and the standard library only).

Usage, from any training loop:

    from dscr import dst
    cfg = dst.DSTConfig(algorithm="set", sparsity=0.5, distribution="erk", update_interval=100,
                        prune_rate=0.5, decay="cosine")
    sparsifier = dst.create(model, optimizer, cfg, total_steps, loss_closure=None, seed=0)
    for batch in loader:
        loss.backward(); optimizer.step(); sparsifier.step(); optimizer.zero_grad()
    sparsifier.state_dict() / sparsifier.load_state_dict(sd)   # masks, schedule step, RNG, update log
    sparsifier.densities()                                    # {"global": float, "layers": {name: float}}
    sparsifier.update_log                                     # one dict per mask change (step, densities)

Algorithms: dense, set, rigl, mest_r, mest_g, granet_r, granet_g, static_random, snip, omp, lth, gmp, acdc,
chts.
"""

from . import cht, dynamic, pruning  # noqa: F401  (registers the algorithms)
from .base import SparseTrainer
from .config import DSTConfig
from .distributions import layer_counts, layer_densities, list_distributions
from .layers import select_sparse_weights
from .registry import create, get_algorithm, list_algorithms, register_algorithm
from .schedules import Plan

__all__ = ["DSTConfig", "SparseTrainer", "Plan", "create", "get_algorithm", "list_algorithms",
           "register_algorithm", "layer_counts", "layer_densities", "list_distributions", "select_sparse_weights"]
