"""Which weights are sparse: every conv and linear weight of a model, minus the ones the config keeps dense."""

from __future__ import annotations

import fnmatch

from torch import nn

from .config import DSTConfig

SPARSE_MODULE_TYPES = (nn.Linear, nn.modules.conv._ConvNd)


def candidate_weights(model: nn.Module) -> dict[str, nn.Parameter]:
    """Every conv and linear weight in registration order, keyed by parameter name (shared weights once)."""
    names = {id(p): name for name, p in model.named_parameters()}
    found: dict[str, nn.Parameter] = {}
    seen: set[int] = set()
    for module in model.modules():
        weight = getattr(module, "weight", None)
        if isinstance(module, SPARSE_MODULE_TYPES) and isinstance(weight, nn.Parameter) \
                and weight.requires_grad and id(weight) not in seen and id(weight) in names:
            seen.add(id(weight))
            found[names[id(weight)]] = weight
    return found


def select_sparse_weights(model: nn.Module, config: DSTConfig) -> dict[str, nn.Parameter]:
    """The weights the algorithm sparsifies.

    Args:
        model: the unwrapped model.
        config: reads `dense_first_layer`, `dense_last_layer` and `dense_layers` (fnmatch patterns).

    Returns:
        parameter name -> parameter, in registration order.
    """
    weights = candidate_weights(model)
    names = list(weights)
    dense = {name for name in names if any(fnmatch.fnmatchcase(name, pattern) for pattern in config.dense_layers)}
    if names and config.dense_first_layer:
        dense.add(names[0])
    if names and config.dense_last_layer:
        dense.add(names[-1])
    return {name: weights[name] for name in names if name not in dense}
