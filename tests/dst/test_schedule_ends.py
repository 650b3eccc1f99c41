"""Every run ends trained at its final density: MEST's bound reaches the target at a mask update (hand-computed
schedules), no mask changes after the last optimizer step, and GraNet under the uniform distribution ends uniform."""

import pytest

from dst_helpers import batches, make, train_step
from dscr import dst
from dscr.dst.distributions import layer_counts

SPARSE_ALGORITHMS = [a for a in dst.list_algorithms() if a != "dense"]


def mest_plan(**overrides):
    cfg = dst.DSTConfig(algorithm="mest_r", sparsity=0.5, update_interval=10, mest_bound=0.1,
                        mest_bound_decay="polynomial", **overrides)
    return dst.get_algorithm("mest_r").make_plan(cfg, 100)


def test_mest_bound_decays_over_the_mask_updates_and_lands_the_target():
    plan = mest_plan()
    assert plan.update_steps == (10, 20, 30, 40, 50, 60, 70, 80, 90)
    # the bound decays as (1 - t / 90) ** 0.01 over the updates, 90 being the last one before step 100:
    # 0.5 * (1 + 0.1 * (80/90) ** 0.01) = 0.5 * (1 + 0.1 * 0.998823) and (10/90) ** 0.01 = 0.978267
    assert plan.initial_density == pytest.approx(0.55)
    assert plan.density(10) == pytest.approx(0.549941, abs=1e-6)
    assert plan.density(80) == pytest.approx(0.548913, abs=1e-6)
    assert plan.density(90) == 0.5 == plan.final_density


def test_mest_bound_end_as_in_mests_own_scripts():
    plan = mest_plan(mest_bound_end=0.75)  # MEST's scripts: no extra density from epoch 120 of 160
    # last update at or before step 75 is 70: (10/70) ** 0.01 = 0.980729 at step 60
    assert plan.density(60) == pytest.approx(0.5 * (1 + 0.1 * 0.980729), abs=1e-6)
    assert plan.density(70) == plan.density(80) == plan.density(90) == 0.5


def test_mest_run_is_trained_at_its_final_density():
    model, opt, sp = make("mest_r", steps=100, sparsity=0.5, update_interval=10, mest_bound=0.1,
                          decay="polynomial", mest_bound_decay="polynomial")
    total = sum(m.numel() for m in sp.masks.values())
    for batch in batches(100):
        train_step(model, opt, sp, batch)
    log = {e["step"]: e["global"] for e in sp.update_log}
    assert max(log) == 90  # nothing is pruned after the last optimizer step
    assert log[80] == pytest.approx(0.548913, abs=1 / total)
    assert log[90] == pytest.approx(0.5, abs=1 / total) and sp.densities()["global"] == log[90]


@pytest.mark.parametrize("algorithm", SPARSE_ALGORITHMS)
def test_phases_ending_at_the_run_end_land_the_target_at_an_earlier_update(algorithm):
    cfg = dst.DSTConfig(algorithm=algorithm, sparsity=0.5, update_interval=10, granet_end=1.0, gmp_end=1.0,
                        omp_prune_at=1.0, acdc_final=0.0)
    plan = dst.get_algorithm(algorithm).make_plan(cfg, 100)
    assert all(1 <= s < 100 for s in plan.update_steps)
    last = plan.density(plan.update_steps[-1]) if plan.update_steps else plan.initial_density
    assert last == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("algorithm", ["mest_g", "granet_r"])
def test_a_run_too_short_for_any_update_starts_at_its_target(algorithm):
    cfg = dst.DSTConfig(algorithm=algorithm, sparsity=0.5, update_interval=300)
    plan = dst.get_algorithm(algorithm).make_plan(cfg, 30)
    assert plan.update_steps == () and plan.initial_density == 0.5


def test_a_plan_that_misses_its_target_is_refused():
    with pytest.raises(ValueError, match="density 0.8 at its last mask update .step 10., not its final 0.5"):
        dst.Plan(1.0, (10,), lambda step: 0.8, lambda step: 0.0, final_density=0.5)


def run_granet(steps: int = 40, **overrides):
    model, opt, sp = make("granet_r", steps=steps, sparsity=0.6, update_interval=5, prune_rate=0.3,
                          **overrides)
    for batch in batches(steps):
        train_step(model, opt, sp, batch)
    return sp


def test_granet_under_the_uniform_distribution_ends_with_uniform_layer_sparsities():
    sp = run_granet(distribution="uniform")  # prune_scope auto: GraNet_uniform's per-layer pruning
    counts = {n: int(m.sum()) for n, m in sp.masks.items()}
    assert counts == layer_counts(sp.shapes, 0.4, "uniform")
    for name, count in counts.items():  # every layer within one weight of density 0.4
        assert abs(count - 0.4 * sp.masks[name].numel()) <= 1, name


def test_granet_global_ranking_under_erk_is_kept():
    sp = run_granet(distribution="erk")  # prune_scope auto: GraNet's global magnitude ranking
    counts = {n: int(m.sum()) for n, m in sp.masks.items()}
    assert sum(counts.values()) == round(0.4 * sum(m.numel() for m in sp.masks.values()))
    assert counts != layer_counts(sp.shapes, 0.4, "erk")  # the ranking, not ERK, shares the density out
    forced = run_granet(distribution="uniform", prune_scope="global")
    assert len({round(d, 2) for d in forced.densities()["layers"].values()}) > 1


def test_prune_scope_auto_follows_the_distribution():
    assert not dst.DSTConfig(distribution="uniform").global_pruning()
    assert dst.DSTConfig(distribution="erk").global_pruning() and dst.DSTConfig(distribution="er").global_pruning()
    assert dst.DSTConfig(distribution="uniform", prune_scope="global").global_pruning()
    assert not dst.DSTConfig(distribution="erk", prune_scope="layer").global_pruning()
