"""DSTConfig: the settings a training loop hands to `dscr.dst.create`. Plain dataclass, stdlib only.

Every field is a primitive, a Literal or a list, so the YAML validator (`dscr.config.from_dict`) can check it.
Fields prefixed with an algorithm's name are read by that algorithm only. Phase positions (`*_start`, `*_end`,
`omp_prune_at`, `acdc_*`) are fractions of the run's optimizer steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Algorithm = Literal["dense", "set", "rigl", "mest_r", "mest_g", "granet_r", "granet_g",
                    "static_random", "snip", "omp", "lth", "gmp", "acdc", "chts"]
Decay = Literal["constant", "cosine", "polynomial"]


@dataclass
class DSTConfig:
    algorithm: Algorithm = "dense"
    sparsity: float = 0.0          # target fraction of zeros over the sparsified weights
    distribution: Literal["uniform", "er", "erk"] = "erk"
    update_interval: int = 100     # ΔT, optimizer steps between mask updates
    prune_rate: float = 0.5        # P, fraction of a layer's non-zeros pruned (and regrown) per update
    decay: Decay = "cosine"        # prune-rate decay; polynomial is the paper's P * (1 - t/T) ** 0.01

    # Which weights are sparse: every conv and linear weight, minus these.
    dense_first_layer: bool = False  # keep the first conv/linear weight (in registration order) dense
    dense_last_layer: bool = False   # keep the last conv/linear weight (usually the classifier) dense
    dense_layers: list[str] = field(default_factory=list)  # fnmatch patterns of parameter names kept dense
    update_end: float = 1.0        # DST masks stop changing after this fraction of the run (RigL uses 0.75)

    # MEST (Yuan et al. 2021): soft memory bound and prune score |w| + lambda * |grad|.
    mest_bound: float = 0.1        # extra density as a fraction of the target density (0.3 -> starts at 0.33)
    mest_bound_decay: Decay = "polynomial"  # how the bound decays to 0 (over the steps up to mest_bound_end)
    mest_bound_end: float = 1.0    # the bound is 0 from the last mask update at or before this fraction of the run
    mest_lambda: float = 0.0       # gradient weight in the prune score (MEST's public default --sp-lmd 0)

    # GraNet (Liu et al. 2021): gradual magnitude pruning with the cubic schedule, plus prune-and-regrow.
    granet_init_density: float = 0.8  # starting density (ImageNet: 0.95); raised to the target if below it
    granet_start: float = 0.0      # t0: where the cubic schedule starts
    granet_end: float = 0.5        # t0 + nΔT: where it reaches the target (the paper: half of training)

    # Dense-to-sparse baselines (companion paper): OMP / one-shot LTH, GMP, AC/DC.
    # Magnitude pruning in GraNet/GMP/OMP/LTH/AC-DC: all layers ranked together (global), each layer to the
    # distribution's count (layer), or auto: layer under the uniform distribution, global under ER/ERK.
    prune_scope: Literal["auto", "global", "layer"] = "auto"
    omp_prune_at: float = 0.5      # OMP / LTH: train dense until here, prune once, then train sparse
    gmp_start: float = 0.1         # GMP: cubic sparsification from here ...
    gmp_end: float = 0.8           # ... to here, one step every update_interval steps
    acdc_warmup: float = 0.1       # AC/DC: dense warm-up
    acdc_phase: float = 0.05       # length of each compressed / decompressed phase
    acdc_final: float = 0.15       # final compressed fine-tuning phase

    # CHTs (Cannistraci-Hebb soft training, Zhang et al.): the initial topology of each sparse layer.
    chts_init: Literal["csti", "bsw"] = "csti"  # correlated sparse topological init, or bipartite small world
    chts_beta: float = 0.25        # rewiring probability of the bipartite small-world initialisation

    def __post_init__(self) -> None:
        if not 0.0 <= self.sparsity < 1.0:
            raise ValueError(f"sparsity: {self.sparsity} is impossible; allowed: 0 <= sparsity < 1")
        if self.update_interval < 1:
            raise ValueError(f"update_interval: {self.update_interval}; must be >= 1 optimizer step")
        if not 0.0 <= self.prune_rate <= 1.0:
            raise ValueError(f"prune_rate: {self.prune_rate}; allowed: 0 <= prune_rate <= 1")
        if self.mest_bound < 0.0:
            raise ValueError(f"mest_bound: {self.mest_bound}; must be >= 0")
        if not 0.0 < self.granet_init_density <= 1.0:
            raise ValueError(f"granet_init_density: {self.granet_init_density}; allowed: 0 < density <= 1")
        for name in ("update_end", "mest_bound_end", "granet_start", "granet_end", "omp_prune_at", "gmp_start", "gmp_end",
                     "acdc_warmup", "acdc_phase", "acdc_final"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: {value}; allowed: a fraction of the run in [0, 1]")
        if self.granet_end < self.granet_start or self.gmp_end < self.gmp_start:
            raise ValueError("granet_end/gmp_end must not come before granet_start/gmp_start")
        if self.acdc_phase <= 0.0:
            raise ValueError(f"acdc_phase: {self.acdc_phase}; must be > 0")

    def global_pruning(self) -> bool:
        """Whether magnitude pruning ranks all layers' weights together. `prune_scope: auto` pairs it with the
        distribution as GraNet's code does: `--method GraNet` (global) with ERK, `--method GraNet_uniform`
        (each layer to the same density) with uniform, so a uniform run ends with uniform layer sparsities."""
        return self.prune_scope == "global" or (self.prune_scope == "auto" and self.distribution != "uniform")
