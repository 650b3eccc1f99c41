"""Filter analysis (appendix A.5, figures 16-17): per-kernel non-zero counts and weight-magnitude sums.

For a conv weight (out, in, kh, kw) a "kernel" is one (kh, kw) slice, so a 3x3 layer gives out x in points
with non-zero counts 0..9; `unit="filter"` groups by output channel instead. Linear weights count per row.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Unit = Literal["kernel", "filter"]


def filter_stats(weight: torch.Tensor, unit: Unit = "kernel") -> dict[str, torch.Tensor]:
    """Non-zero count and sum of |w| of every kernel (or filter) of one weight tensor.

    Args:
        weight: a conv weight (out, in, *kernel) or a linear weight (out, in).
        unit: "kernel" (one point per (out, in) slice of a conv) or "filter" (one point per output channel).

    Returns:
        {"nonzero": int64 tensor, "l1": float tensor}, one entry per kernel or filter, in row-major order.
    """
    w = weight.detach()
    if w.dim() < 2:
        raise ValueError(f"weight of shape {tuple(w.shape)}: expected a conv or linear weight")
    groups = w.reshape(w.shape[0] * w.shape[1], -1) if unit == "kernel" and w.dim() > 2 else w.reshape(w.shape[0], -1)
    return {"nonzero": (groups != 0).sum(1), "l1": groups.abs().float().sum(1)}


def conv_layers(model: nn.Module, kernel_size: tuple[int, int] = (3, 3)) -> list[str]:
    """Names (as in `named_modules`) of the conv layers with this kernel size, in registration order."""
    return [name for name, m in model.named_modules()
            if isinstance(m, nn.Conv2d) and tuple(m.kernel_size) == tuple(kernel_size)]


def default_layers(model: nn.Module, count: int = 3) -> list[str]:
    """`count` 3x3 conv layers spread over the depth (the paper picks three layers from the middle on)."""
    names = conv_layers(model)
    if len(names) <= count:
        return names
    picks = [round((i + 1) * (len(names) - 1) / count) for i in range(count)]
    return [names[i] for i in dict.fromkeys(picks)]


def layer_stats(model: nn.Module, layers: list[str], unit: Unit = "kernel") -> dict[str, dict[str, list]]:
    """`filter_stats` of the weight of each named module, as plain lists (JSON-ready).

    Raises:
        KeyError: a name is not a module with a weight; the message lists the conv layers there are.
    """
    modules = dict(model.named_modules())
    out = {}
    for name in layers:
        module = modules.get(name)
        if module is None or not isinstance(getattr(module, "weight", None), torch.Tensor):
            raise KeyError(f"layer '{name}' has no weight; 3x3 conv layers: {', '.join(conv_layers(model))}")
        stats = filter_stats(module.weight, unit)
        out[name] = {"nonzero": stats["nonzero"].tolist(), "l1": stats["l1"].tolist(),
                     "kernel_numel": int(module.weight[0, 0].numel() if unit == "kernel" and module.weight.dim() > 2
                                         else module.weight[0].numel())}
    return out


def summarize(stats: dict[str, list]) -> dict[str, float]:
    """Means and spread of one layer's points: how concentrated the surviving weights are."""
    nonzero = torch.tensor(stats["nonzero"], dtype=torch.float64)
    l1 = torch.tensor(stats["l1"], dtype=torch.float64)
    return {"points": len(nonzero), "mean_nonzero": float(nonzero.mean()),
            "empty_fraction": float((nonzero == 0).double().mean()),
            "full_fraction": float((nonzero == stats["kernel_numel"]).double().mean()),
            "mean_l1": float(l1.mean()), "std_l1": float(l1.std(unbiased=False)), "max_l1": float(l1.max())}


def plot(stats_by_model: dict[str, dict[str, dict]], path) -> None:
    """Scatter plots as in figures 16-17: row 1 non-zero count, row 2 sum of |w|, one column per layer,
    one colour per model; each point is a kernel (x: its index)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dscr.report.tables import save_figure

    layers = list(next(iter(stats_by_model.values())))
    fig, axes = plt.subplots(2, len(layers), figsize=(4.2 * len(layers), 6), squeeze=False)
    for col, layer in enumerate(layers):
        for label, stats in stats_by_model.items():
            points = stats[layer]
            xs = range(len(points["nonzero"]))
            axes[0, col].scatter(xs, points["nonzero"], s=2, alpha=0.5, label=label)
            axes[1, col].scatter(xs, points["l1"], s=2, alpha=0.5, label=label)
        axes[0, col].set_title(layer, fontsize=8)
        axes[0, col].set_ylabel("non-zero weights per kernel")
        axes[1, col].set_ylabel("sum of |w| per kernel")
        axes[1, col].set_xlabel("kernel index")
    axes[0, 0].legend(fontsize=6, markerscale=4)
    save_figure(fig, path)
    plt.close(fig)
