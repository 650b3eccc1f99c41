"""One test per correctness trap of SPEC §2 (masks vs momentum/weight decay, ties, RigL's gradient, resume)."""

import io

import pytest
import torch

from dst_helpers import batches, make, train_step


def moment_tensors(opt, weight):
    return [v for v in opt.state[weight].values() if torch.is_tensor(v) and v.shape == weight.shape]


@pytest.mark.parametrize("implementation", ["for_loop", "foreach", "fused"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_momentum_and_weight_decay_never_revive_pruned_weights(optimizer, implementation):
    model, opt, sp = make("set", optimizer=optimizer, steps=40, update_interval=4, prune_rate=0.5,
                          implementation=implementation)
    updates = 0
    for step, batch in enumerate(batches(40), start=1):
        before = {n: m.clone() for n, m in sp.masks.items()}
        train_step(model, opt, sp, batch)
        for name, weight in sp.weights.items():
            mask = sp.masks[name].bool()
            assert not weight[~mask].any(), (step, name)  # masks hold after every optimizer step
            if step in sp.plan.update_steps:
                # every moment of a pruned, inactive or grown connection (grown ones are exactly zero,
                # including those pruned and grown back in the same update) starts again from zero
                fresh = ~mask | (weight == 0)
                for moment in moment_tensors(opt, weight):
                    assert not moment[fresh].any(), (step, name)
                updates += int((mask & ~before[name].bool()).sum())
    assert updates > 0


@pytest.mark.parametrize("implementation", ["foreach", "fused"])
@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_fused_and_foreach_optimizers_train_like_the_for_loop_under_masks(optimizer, implementation):
    """torch's multi-tensor and fused kernels keep their moments where the DST base resets them: same masks and,
    up to float rounding, the same sparse weights as the one-tensor-at-a-time loop through prune and regrow
    updates. (Not every parameter: the first conv's bias sits before BatchNorm, so its gradient is rounding
    noise that Adam scales up to lr-sized steps, differently in every implementation.)"""
    runs = {impl: make("rigl", optimizer=optimizer, steps=24, update_interval=4, prune_rate=0.5,
                       implementation=impl) for impl in ("for_loop", implementation)}
    assert runs[implementation][1].defaults[implementation] is True  # the implementation asked for is used
    for batch in batches(24):
        for model, opt, sp in runs.values():
            train_step(model, opt, sp, batch)
        (_, _, sp_a), (_, _, sp_b) = runs.values()
        for name in sp_a.masks:
            assert torch.equal(sp_a.masks[name], sp_b.masks[name])
            torch.testing.assert_close(sp_a.weights[name], sp_b.weights[name], rtol=0, atol=1e-6)
    assert len(sp_b.update_log) == 1 + 5 and sp_b.update_log[-1]["grown"] > 0


def test_regrown_weight_takes_a_fresh_momentum_step():
    model, opt, sp = make("set", steps=20, update_interval=5, prune_rate=0.5)
    data = batches(7)
    for batch in data[:5]:
        train_step(model, opt, sp, batch)  # step 5 is an update
    name, weight = next(iter(sp.weights.items()))
    grown = (weight == 0) & sp.masks[name].bool()
    assert grown.any()
    x, y = data[5]
    torch.nn.functional.cross_entropy(model(x), y).backward()
    grad = weight.grad.clone()
    opt.step()
    sp.step()
    # momentum buffer restarted at zero: the first step is exactly -lr * grad (weight decay of a zero is zero)
    assert torch.allclose(weight[grown], -0.05 * grad[grown], atol=1e-7)


@pytest.mark.parametrize("algorithm", ["set", "rigl", "gmp", "granet_g"])
def test_ties_never_change_the_number_of_nonzeros(algorithm):
    model, opt, sp = make(algorithm, steps=30, update_interval=3)
    with torch.no_grad():
        for weight in sp.weights.values():  # every magnitude equal: thresholds would keep them all
            weight.copy_(torch.where(torch.rand_like(weight) < 0.5, -0.1, 0.1) * (weight != 0))
    opt.param_groups[0]["lr"] = 0.0
    total = sum(m.numel() for m in sp.masks.values())
    for step, batch in enumerate(batches(30), start=1):
        train_step(model, opt, sp, batch)
        if step in sp.plan.update_steps:
            assert sum(int(m.sum()) for m in sp.masks.values()) == round(sp.plan.density(step) * total)


def test_rigl_reads_gradients_only_on_update_steps():
    model, opt, sp = make("rigl", steps=30, update_interval=10)
    calls = []
    original = sp._abs_gradient
    sp._abs_gradient = lambda name: calls.append(sp.step_count) or original(name)
    for step, batch in enumerate(batches(30), start=1):
        x, y = batch
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        if step not in sp.plan.update_steps:
            opt.zero_grad(set_to_none=True)  # no gradient on other steps: step() must not need one
        sp.step()
        opt.zero_grad(set_to_none=True)
    assert sorted(set(calls)) == [10, 20]
    model, opt, sp = make("rigl", steps=30, update_interval=1)
    with pytest.raises(RuntimeError, match="before optimizer.zero_grad"):
        sp.step()


def snapshot(model, sp):
    return ([p.detach().clone() for p in model.parameters()], {n: m.clone() for n, m in sp.masks.items()},
            sp.update_log)


@pytest.mark.parametrize("algorithm", ["set", "rigl", "mest_g", "granet_r", "lth", "acdc"])
def test_resumed_run_equals_uninterrupted(algorithm):
    data = batches(30)
    overrides = dict(update_interval=4, omp_prune_at=0.6, acdc_phase=0.2)
    model, opt, sp = make(algorithm, steps=30, **overrides)
    for batch in data:
        train_step(model, opt, sp, batch)
    reference = snapshot(model, sp)

    model, opt, sp = make(algorithm, steps=30, **overrides)
    for batch in data[:14]:  # between updates, after random draws: the RNG state matters
        train_step(model, opt, sp, batch)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sp": sp.state_dict()}, buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    model, opt, sp = make(algorithm, steps=30, seed=123, **overrides)  # a different seed: state must win
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    sp.load_state_dict(state["sp"])
    for batch in data[14:]:
        train_step(model, opt, sp, batch)
    resumed = snapshot(model, sp)
    assert all(torch.equal(a, b) for a, b in zip(reference[0], resumed[0]))
    assert all(torch.equal(reference[1][n], resumed[1][n]) for n in reference[1])
    assert reference[2] == resumed[2]
