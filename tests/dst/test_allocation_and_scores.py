"""Hand-checked decisions of the pruning baselines: global allocation of GMP/GraNet, SNIP's |g * w| score and
LTH's optimizer reset."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dst_helpers import batches, make, train_step
from dscr import dst


def two_layers() -> nn.Module:
    """Two 32-weight layers of distinct magnitudes: 1, 2, ..., 32 and 0.25, 0.75, ..., 15.75."""
    model = nn.Sequential(nn.Linear(4, 8, bias=False), nn.Linear(8, 4, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(torch.arange(1, 33, dtype=torch.float32).view(8, 4))
        model[1].weight.copy_((torch.arange(1, 33, dtype=torch.float32) * 0.5 - 0.25).view(4, 8))
    return model


def global_top_counts(weights: dict[str, torch.Tensor], active: dict[str, torch.Tensor], keep: int) -> dict:
    """Per-layer counts of the `keep` largest |w| among the active weights of all layers, by plain sorting."""
    ranked = sorted(((abs(float(v)), name) for name, w in weights.items()
                     for v, on in zip(w.flatten().tolist(), active[name].flatten().tolist()) if on), reverse=True)
    return {name: sum(1 for _, n in ranked[:keep] if n == name) for name in weights}


@pytest.mark.parametrize("algorithm, extra", [
    ("gmp", dict(gmp_start=0.0, gmp_end=1.0)),
    ("granet_r", dict(granet_init_density=0.8, granet_end=1.0, prune_rate=0.0)),
])
def test_global_pruners_allocate_by_global_magnitude(algorithm, extra):
    counts = {}
    for scope in ("global", "layer"):
        model = two_layers()
        cfg = dst.DSTConfig(algorithm=algorithm, sparsity=0.5, distribution="uniform", update_interval=2,
                            prune_scope=scope, **extra)
        sp = dst.create(model, None, cfg, 20, seed=0)
        initial = {n: m.bool().clone() for n, m in sp.masks.items()}
        weights = {n: w.detach().clone() for n, w in sp.weights.items()}
        for _ in range(20):  # no optimizer: the weights stay, only the masks follow the schedule
            sp.step()
        counts[scope] = {n: int(m.sum()) for n, m in sp.masks.items()}
        if scope == "global":  # nested magnitude pruning of fixed weights = one global top-k of the start
            assert counts[scope] == global_top_counts(weights, initial, 32)
    assert counts["layer"] == {"0.weight": 16, "1.weight": 16}  # uniform: half of each layer
    assert counts["global"] != counts["layer"] and counts["global"]["0.weight"] > 16


def test_snip_keeps_the_top_abs_gradient_times_weight():
    model = nn.Linear(3, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, -2.0, 3.0], [0.5, -4.0, 0.1]]))
    g = torch.tensor([[0.1, 1.0, -0.2], [2.0, 0.05, 3.0]])
    # loss = sum(W * G): dL/dW = G. |g * w| = [[0.1, 2, 0.6], [1.0, 0.2, 0.3]]: the top 3 of 6 are
    # (0, 1), (1, 0), (0, 2). By |w| alone it would be (1, 1), (0, 2), (0, 1); by |g| alone (1, 2), (1, 0), (0, 1).
    cfg = dst.DSTConfig(algorithm="snip", sparsity=0.5, distribution="uniform")
    sp = dst.create(model, None, cfg, 10, loss_closure=lambda: (model.weight * g).sum())
    assert sp.masks["weight"].tolist() == [[0, 1, 1], [1, 0, 0]]
    assert model.weight.tolist() == [[0.0, -2.0, 3.0], [0.5, -0.0, 0.0]]


def test_lth_rewind_clears_every_optimizer_state():
    model, opt, sp = make("lth", steps=20, omp_prune_at=0.5)  # prunes and rewinds after step 10
    data = batches(11)
    for batch in data[:9]:
        train_step(model, opt, sp, batch)
    assert all(opt.state[p] for p in model.parameters())  # SGD momentum buffers exist before the rewind
    train_step(model, opt, sp, data[9])
    assert sp.densities()["global"] == pytest.approx(0.5, abs=1e-3)
    assert not any(opt.state.get(p) for p in model.parameters())
    # the first step after the rewind is a plain SGD step: no momentum carried over from the dense phase
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    x, y = data[10]
    nn.functional.cross_entropy(model(x), y).backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    opt.step()
    group = opt.param_groups[0]
    for name, p in model.named_parameters():
        expected = before[name] - group["lr"] * (grads[name] + group["weight_decay"] * before[name])
        assert torch.allclose(p, expected, atol=1e-6), name
