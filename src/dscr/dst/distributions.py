"""Sparsity distributions: how a global density is shared among layers.

All three share one signature, `(shapes, density) -> {name: count of non-zeros}`:

- uniform: every layer gets the same density;
- ER (Erdős-Rényi, Mocanu et al. 2018): density of layer l proportional to (n_in + n_out) / (n_in * n_out);
- ERK (Evci et al. 2020): proportional to sum(shape) / prod(shape), i.e. (n_in + n_out + k_h + k_w) /
  (n_in * n_out * k_h * k_w) for a conv kernel.

ER and ERK are solved exactly: a layer whose density would exceed 1 is made dense and the scale of the rest is
re-solved, until no layer exceeds 1 (never clipped). Counts are rounded by largest remainder, so the realised
number of non-zeros equals round(density * total) exactly, each layer within one weight of its real-valued share.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

Shapes = Mapping[str, Sequence[int]]

_RAW_SCALES: dict[str, Callable[[Sequence[int]], float]] = {
    "uniform": lambda shape: 1.0,
    # ER ignores the kernel: (n_out, n_in, ...) -> (n_in + n_out) / (n_in * n_out).
    "er": lambda shape: (shape[0] + shape[1]) / (shape[0] * shape[1]) if len(shape) > 1 else 1.0,
    "erk": lambda shape: sum(shape) / math.prod(shape),
}


def list_distributions() -> list[str]:
    """Names accepted by `layer_counts` and `layer_densities`."""
    return sorted(_RAW_SCALES)


def _solve_fractions(shapes: Shapes, density: float, kind: str) -> dict[str, float]:
    """Real-valued per-layer densities in [0, 1] whose weighted sum is exactly `density`."""
    if kind not in _RAW_SCALES:
        raise ValueError(f"unknown distribution '{kind}'; allowed: {', '.join(list_distributions())}")
    if not 0.0 <= density <= 1.0:
        raise ValueError(f"density {density} outside [0, 1]")
    numels = {name: math.prod(shape) for name, shape in shapes.items()}
    raw = {name: _RAW_SCALES[kind](shape) for name, shape in shapes.items()}
    budget = density * sum(numels.values())
    dense: set[str] = set()
    while True:
        rest = [name for name in shapes if name not in dense]
        if not rest:
            return {name: 1.0 for name in shapes}
        scale = (budget - sum(numels[n] for n in dense)) / sum(raw[n] * numels[n] for n in rest)
        over = [n for n in rest if scale * raw[n] > 1.0]
        if not over:
            break
        # Marking every violator dense at once is safe: the re-solved scale can only grow.
        dense.update(over)
    return {name: 1.0 if name in dense else scale * raw[name] for name in shapes}


def layer_densities(shapes: Shapes, density: float, kind: str) -> dict[str, float]:
    """Per-layer densities realised by `layer_counts`.

    Args:
        shapes: parameter name -> weight shape (out, in, *kernel), in a fixed order.
        density: global density over these weights, in [0, 1].
        kind: "uniform", "er" or "erk".

    Returns:
        name -> non-zero fraction of that layer.
    """
    counts = layer_counts(shapes, density, kind)
    return {name: counts[name] / math.prod(shape) for name, shape in shapes.items()}


def layer_counts(shapes: Shapes, density: float, kind: str) -> dict[str, int]:
    """Per-layer numbers of non-zeros summing exactly to round(density * total).

    Args:
        shapes: parameter name -> weight shape (out, in, *kernel), in a fixed order.
        density: global density over these weights, in [0, 1].
        kind: "uniform", "er" or "erk".

    Returns:
        name -> number of non-zero weights of that layer.
    """
    fractions = _solve_fractions(shapes, density, kind)
    numels = {name: math.prod(shape) for name, shape in shapes.items()}
    real = {name: fractions[name] * numels[name] for name in shapes}
    counts = {name: min(int(math.floor(value + 1e-9)), numels[name]) for name, value in real.items()}
    target = min(int(round(density * sum(numels.values()))), sum(numels.values()))
    short = target - sum(counts.values())
    # Largest remainder first; ties resolved by layer order so the result is deterministic.
    order = sorted((n for n in shapes if counts[n] < numels[n]), key=lambda n: counts[n] - real[n])
    for name in order[:max(short, 0)]:
        counts[name] += 1
    if short < 0:  # floating-point overshoot of the floors: take back from the most over-served layers
        for name in sorted(shapes, key=lambda n: real[n] - counts[n])[:-short]:
            counts[name] -= 1
    return counts
