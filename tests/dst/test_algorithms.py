"""Every algorithm keeps its exact scheduled density; SET grows uniformly; RigL grows at the top |g|."""

import math

import pytest
import torch
from torch import nn

from dst_helpers import batches, make, train_step
from dscr import dst
from dscr.dst.distributions import layer_counts

SPARSE_ALGORITHMS = [a for a in dst.list_algorithms() if a != "dense"]


def expected_density(sparsifier, step: int, current: float) -> float:
    plan = sparsifier.plan
    return plan.density(step) if step in plan.update_steps else current


@pytest.mark.parametrize("algorithm", SPARSE_ALGORITHMS)
def test_exact_scheduled_density_over_50_steps(algorithm):
    model, opt, sp = make(algorithm, steps=50)
    total = sum(m.numel() for m in sp.masks.values())
    density = sp.plan.initial_density
    assert sum(int(m.sum()) for m in sp.masks.values()) == round(density * total)
    for step, batch in enumerate(batches(50), start=1):
        train_step(model, opt, sp, batch)
        density = expected_density(sp, step, density)
        counts = {n: int(m.sum()) for n, m in sp.masks.items()}
        assert sum(counts.values()) == round(density * total), (algorithm, step)
        if not (sp.global_prune and sp.config.global_pruning()) and algorithm != "snip":
            assert counts == layer_counts(sp.shapes, density, "erk"), (algorithm, step)
        for name, weight in sp.weights.items():
            assert not weight[sp.masks[name] == 0].any(), (algorithm, step, name)
    assert sp.densities()["global"] == pytest.approx(0.5, abs=1 / total)
    # the masks change only at the plan's updates, all before the last optimizer step
    assert [e["step"] for e in sp.update_log] == [0, *sp.plan.update_steps] and max(sp.plan.update_steps or [0]) < 50


def test_dense_has_no_masks():
    model, opt, sp = make("dense")
    before = [p.detach().clone() for p in model.parameters()]
    sp.step()
    assert sp.densities()["global"] == 1.0 and not sp.masks
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_unknown_algorithm_and_snip_without_closure():
    with pytest.raises(ValueError, match="allowed: acdc, chts, dense"):
        dst.get_algorithm("sett")
    with pytest.raises(ValueError, match="snip needs loss_closure"):
        dst.create(nn.Linear(4, 4), None, dst.DSTConfig(algorithm="snip", sparsity=0.5), 10)
    with pytest.raises(ValueError, match="impossible"):
        dst.DSTConfig(sparsity=1.0)


def single_layer(algorithm: str, seed: int, **overrides):
    torch.manual_seed(0)
    model = nn.Linear(40, 10, bias=False)
    with torch.no_grad():  # distinct magnitudes: which weights are kept is fixed
        model.weight.copy_(torch.randperm(400).view(10, 40).float() + 1)
    cfg = dst.DSTConfig(algorithm=algorithm, sparsity=0.5, update_interval=1, prune_rate=0.5, decay="constant",
                        **overrides)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    return model, opt, dst.create(model, opt, cfg, total_steps=10, seed=seed)


def test_set_regrows_uniformly_over_free_positions():
    grown_counts = torch.zeros(400)
    free_total = None
    for seed in range(300):
        model, opt, sp = single_layer("set", seed)
        with torch.no_grad():  # the same starting mask and weights every time: the first 200 positions
            sp.masks["weight"].view(-1)[:200] = 1
            sp.masks["weight"].view(-1)[200:] = 0
            model.weight.copy_((torch.arange(400.0) + 1).view(10, 40) * sp.masks["weight"])
            sp._refresh()
        kept_expected = torch.zeros(400, dtype=torch.bool)
        kept_expected[torch.topk(model.weight.abs().view(-1), 100).indices] = True
        model.weight.grad = torch.zeros_like(model.weight)
        sp.step()  # update at step 1: keep 100 by magnitude, grow 100 at random among the other 300
        new_mask = sp.masks["weight"].view(-1).bool()
        assert bool(new_mask[kept_expected].all()) and int(new_mask.sum()) == 200
        grown = new_mask & ~kept_expected
        grown_counts += grown.float()
        free_total = ~kept_expected
    counts = grown_counts[free_total]
    assert grown_counts[~free_total].sum() == 0
    expected = 300 * 100 / 300  # each free position grows with probability 1/3
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    dof = counts.numel() - 1
    assert chi2 < dof + 5 * math.sqrt(2 * dof), chi2  # a biased choice (e.g. first free slots) fails
    assert counts.min() > 0


def test_rigl_regrows_at_top_gradient_positions():
    model, opt, sp = single_layer("rigl", seed=0)
    active_before = sp.masks["weight"].bool().clone()
    magnitude = model.weight.detach().abs()
    grad = torch.randn(10, 40, generator=torch.Generator().manual_seed(3))
    model.weight.grad = grad.clone()
    opt.step()
    sp.step()
    kept = torch.zeros(400, dtype=torch.bool)
    kept[torch.topk(torch.where(active_before, magnitude, -1.0).view(-1), 100).indices] = True
    candidates = torch.where(kept, float("-inf"), grad.abs().view(-1))
    expected = kept.clone()
    expected[torch.topk(candidates, 100).indices] = True
    assert torch.equal(sp.masks["weight"].view(-1).bool(), expected)
    assert not model.weight.view(-1)[expected & ~kept].any()  # grown weights start at zero


def test_mest_bound_decays_and_lambda_uses_gradient():
    model, opt, sp = make("mest_g", steps=50, mest_bound=0.2, decay="constant")
    assert sp.plan.initial_density == pytest.approx(0.6)
    model, opt, sp = single_layer("mest_r", seed=0, mest_lambda=1e6)
    active = sp.masks["weight"].bool().clone()
    grad = torch.rand(10, 40, generator=torch.Generator().manual_seed(5))
    model.weight.grad = grad.clone()
    sp.step()
    kept = (sp.masks["weight"].bool() & active & (model.weight != 0)).view(-1)
    # with a huge lambda the kept half of the active weights is the one with the largest |grad|
    expected = torch.topk(torch.where(active.view(-1), grad.view(-1), -1.0), int(kept.sum())).indices
    assert set(expected.tolist()) == set(kept.nonzero().flatten().tolist())


def test_lth_rewinds_and_omp_does_not():
    for algorithm, rewinds in (("lth", True), ("omp", False)):
        model, opt, sp = make(algorithm, steps=20, omp_prune_at=0.5)
        initial = {n: w.detach().clone() for n, w in sp.weights.items()}
        for step, batch in enumerate(batches(10), start=1):
            if step == 10:
                trained = {n: w.detach().clone() for n, w in sp.weights.items()}
            train_step(model, opt, sp, batch)
        assert sp.densities()["global"] == pytest.approx(0.5, abs=1e-3)
        for name, weight in sp.weights.items():
            mask = sp.masks[name].bool()
            reference = initial[name] if rewinds else None
            if rewinds:
                assert torch.equal(weight[mask], reference[mask])
            else:
                assert not torch.equal(weight[mask], initial[name][mask])
                assert not torch.equal(weight[mask], trained[name][mask])  # the step itself trained them


def test_acdc_decompressed_phase_restarts_pruned_weights_at_zero():
    model, opt, sp = make("acdc", steps=100, acdc_warmup=0.1, acdc_phase=0.1, acdc_final=0.2)
    log_steps = []
    for step, batch in enumerate(batches(100), start=1):
        before = {n: m.clone() for n, m in sp.masks.items()}
        train_step(model, opt, sp, batch)
        if step in sp.plan.update_steps and sp.plan.density(step) == 1.0:
            log_steps.append(step)
            for name, weight in sp.weights.items():
                revived = before[name].bool() == 0
                assert not weight[revived].any()
                assert not opt.state[weight]["momentum_buffer"][revived].any()
    assert log_steps == [20, 40, 60]
    assert sp.densities()["global"] == pytest.approx(0.5, abs=1e-3)
