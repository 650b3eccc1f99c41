"""Algorithm registry: `register_algorithm` adds a class under a lowercase name, `create` builds one."""

from __future__ import annotations

from typing import Callable

from torch import nn

from .config import DSTConfig

_ALGORITHMS: dict[str, type] = {}


def register_algorithm(name: str) -> Callable[[type], type]:
    """Class decorator: make an algorithm available to `create` under `name` (lowercase)."""
    def add(cls: type) -> type:
        if name != name.lower():
            raise ValueError(f"algorithm names are lowercase: '{name}'")
        cls.name = name
        _ALGORITHMS[name] = cls
        return cls
    return add


def list_algorithms() -> list[str]:
    """Registered algorithm names."""
    return sorted(_ALGORITHMS)


def get_algorithm(name: str) -> type:
    """The class registered under `name`; ValueError listing the allowed names otherwise."""
    if name not in _ALGORITHMS:
        raise ValueError(f"unknown DST algorithm '{name}'; allowed: {', '.join(list_algorithms())}")
    return _ALGORITHMS[name]


def create(model: nn.Module, optimizer, config: DSTConfig, total_steps: int, loss_closure=None, seed: int = 0):
    """Build the sparsifier a training loop steps after every `optimizer.step()`.

    Args:
        model: the unwrapped module (not the DDP wrapper); its sparse weights are masked at once.
        optimizer: the optimizer over the model's parameters (its moments are reset on mask changes); may be None.
        config: the DST settings.
        total_steps: optimizer steps of the whole run (schedules are fractions of it).
        loss_closure: callable returning a loss on one training batch (SNIP scores connections with it).
        seed: seed of the sparsifier's own torch.Generator (random masks and regrowth).

    Returns:
        A `SparseTrainer` subclass instance.
    """
    if total_steps < 1:
        raise ValueError(f"total_steps: {total_steps}; must be >= 1")
    return get_algorithm(config.algorithm)(model, optimizer, config, total_steps, loss_closure=loss_closure,
                                           seed=seed)
