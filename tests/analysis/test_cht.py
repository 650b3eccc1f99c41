"""CHTs (`dscr.dst.cht`): exact densities, the L3 regrowth score, CSTI and BSW initial topologies, masks that
hold through training, and exact resume."""

import pytest
import torch
from torch import nn

import dscr.dst.cht as cht  # registers `chts` (the lead adds the import to dscr.dst)
from dscr import dst


def _mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))


def _make(init="csti", steps=30, seed=0, inputs=None):
    model = _mlp(seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    cfg = dst.DSTConfig(algorithm="chts", sparsity=0.9, distribution="uniform", update_interval=5, prune_rate=0.3)
    cfg.chts_init = init  # proposed DSTConfig field; plain attribute meanwhile
    g = torch.Generator().manual_seed(5)
    x = torch.randn(64, 12, generator=g) if inputs is None else inputs
    y = torch.randint(0, 3, (64,), generator=g)
    closure = lambda: nn.functional.cross_entropy(model(x), y)  # noqa: E731
    return model, opt, dst.create(model, opt, cfg, steps, loss_closure=closure, seed=seed), (x, y)


def test_l3_scores_count_degree_normalised_paths():
    a = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    s = cht.l3_scores(a)
    # output 1 reaches input 0 through 1 -> input 1 -> output 0 -> input 0: one path, deg(out 0)=2, deg(in 1)=2
    assert s[1, 0] == pytest.approx(1 / 2)
    assert s[2, 0] == 0 and s[0, 2] == 0  # the third unit is a separate component
    brute = torch.zeros_like(a)
    for o in range(3):
        for i in range(3):
            brute[o, i] = sum(a[o, i2] * a[o2, i2] * a[o2, i] / (a[o2].sum() * a[:, i2].sum()).sqrt()
                              for o2 in range(3) for i2 in range(3))
    assert torch.allclose(s, brute)


@pytest.mark.parametrize("init", ["csti", "bsw"])
def test_exact_density_through_training_and_masks_hold(init):
    model, opt, sparsifier, (x, y) = _make(init)
    assert sparsifier.densities()["global"] == pytest.approx(0.1, abs=0.01)
    for _ in range(30):
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sparsifier.step()
        opt.zero_grad()
    log = sparsifier.update_log
    assert len(log) > 3 and all(e["global"] == log[0]["global"] for e in log)
    assert sum(e["grown"] for e in log[1:]) > 0
    for name, mask in sparsifier.masks.items():
        weight = dict(model.named_parameters())[name]
        assert torch.all(weight[mask == 0] == 0)


def test_bsw_is_a_rewired_ring_lattice():
    lattice = torch.topk(cht.ring_lattice_scores(4, 40).reshape(-1), 40).indices
    rows, cols = lattice // 40, lattice % 40
    for o in range(4):  # each unit's 10 nearest inputs are one contiguous arc around its position
        mine = sorted(cols[rows == o].tolist())
        assert mine == list(range(10 * o, 10 * o + 10))
    _, _, sparsifier, _ = _make("bsw")
    mask = sparsifier.masks["3.weight"].bool()  # 16 x 16 at density 0.1, a quarter of the links rewired
    count = int(mask.sum())
    assert count == round(0.1 * 256)
    near = cht.ring_lattice_scores(16, 16) >= -1.5  # within reach of a 1-2 link lattice per unit
    assert 0 < int((mask & ~near).sum()) <= round(0.25 * count)


def test_csti_links_correlated_inputs():
    g = torch.Generator().manual_seed(0)
    base = torch.randn(64, 2, generator=g)
    # inputs 0-5 copy feature A, 6-11 copy feature B (with little noise): two correlated blocks
    x = torch.cat([base[:, :1].repeat(1, 6), base[:, 1:].repeat(1, 6)], 1) + 0.01 * torch.randn(64, 12, generator=g)
    _, _, sparsifier, _ = _make("csti", inputs=x)
    mask = sparsifier.masks["1.weight"].bool()  # 16 x 12 at density 0.1: 19 links
    within = sum(bool(row[:6].any()) != bool(row[6:].any()) or not row.any() for row in mask)
    assert within == 16  # no unit mixes the two blocks: its links follow its anchor's correlations
    with pytest.raises(ValueError, match="allowed: csti, bsw"):
        _make("ring")


def test_resume_equals_uninterrupted():
    def train(sparsifier, model, opt, data, steps):
        for _ in range(steps):
            nn.functional.cross_entropy(model(data[0]), data[1]).backward()
            opt.step()
            sparsifier.step()
            opt.zero_grad()

    model, opt, sparsifier, data = _make("bsw")
    train(sparsifier, model, opt, data, 30)
    model2, opt2, sparsifier2, _ = _make("bsw")
    train(sparsifier2, model2, opt2, data, 12)
    state = ({k: v.clone() for k, v in model2.state_dict().items()}, opt2.state_dict(), sparsifier2.state_dict())
    model3, opt3, sparsifier3, _ = _make("bsw")
    model3.load_state_dict(state[0])
    opt3.load_state_dict(state[1])
    sparsifier3.load_state_dict(state[2])
    train(sparsifier3, model3, opt3, data, 18)
    assert all(torch.equal(sparsifier.masks[n], sparsifier3.masks[n]) for n in sparsifier.masks)
    assert all(torch.allclose(a, b) for a, b in zip(model.parameters(), model3.parameters()))
