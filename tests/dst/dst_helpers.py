"""Shared helpers for the DST tests: a tiny CNN, fixed batches and a training loop that calls step()."""

from __future__ import annotations

import torch
from torch import nn

from dscr import dst


def tiny_cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
        nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def batches(n: int, seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(8, 3, 8, 8, generator=g), torch.randint(0, 10, (8,), generator=g)) for _ in range(n)]


def make(algorithm: str, optimizer: str = "sgd", steps: int = 50, seed: int = 0, implementation: str = "for_loop",
         **overrides):
    """A tiny CNN, its optimizer (in torch's `implementation`: for_loop, foreach or fused) and a sparsifier for
    `algorithm` over a run of `steps` steps."""
    from dscr.engine.optim import implementation_flags

    model = tiny_cnn(seed)
    flags = implementation_flags(implementation, torch.device("cpu"))
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, **flags)
    elif optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-2, **flags)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05, **flags)
    settings = dict(algorithm=algorithm, sparsity=0.5, distribution="erk", update_interval=5, prune_rate=0.3,
                    decay="cosine")
    settings.update(overrides)
    cfg = dst.DSTConfig(**settings)
    data = batches(1, seed=99)[0]
    closure = lambda: nn.functional.cross_entropy(model(data[0]), data[1])  # noqa: E731
    return model, opt, dst.create(model, opt, cfg, steps, loss_closure=closure, seed=seed)


def train_step(model, opt, sparsifier, batch) -> None:
    x, y = batch
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    sparsifier.step()
    opt.zero_grad(set_to_none=True)
