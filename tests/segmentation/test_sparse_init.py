"""Magnitude-pruned start: each layer keeps its largest-|w| weights, with the distribution's exact counts."""

from __future__ import annotations

import torch
from torch import nn

from dscr import dst
from tasks.segmentation.sparse_init import create_sparsifier


def test_magnitude_init_keeps_largest_weights_per_layer():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 16, 3), nn.Conv2d(16, 16, 1))
    before = {n: p.detach().clone() for n, p in model.named_parameters() if n.endswith("weight")}
    config = dst.DSTConfig(algorithm="set", sparsity=0.6, distribution="erk", update_interval=10)
    sparsifier = create_sparsifier(model, None, config, total_steps=100, init="magnitude")
    counts = dst.layer_counts({n: tuple(w.shape) for n, w in before.items()}, 0.4, "erk")
    for name, weight in before.items():
        mask = sparsifier.masks[name].bool()
        assert int(mask.sum()) == counts[name]
        if 0 < counts[name] < weight.numel():
            assert weight.abs()[mask].min() >= weight.abs()[~mask].max()  # kept = the largest magnitudes
    random_start = create_sparsifier(model, None, config, total_steps=100, init="random")
    assert random_start.name == sparsifier.name == "set"
