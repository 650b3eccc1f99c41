"""CHTs (`dscr.dst.cht`) against the CHT codebase (biomedical-cybernetics/Cannistraci-Hebb-training): the CH3-L3
score re-derived from `CH_scores_new_v2.cpp` path by path, chain removal, the EM_S schedule, SWI, CSTI and BSW
topologies, soft regrowth, masks that hold through training, and exact resume."""

import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

import dscr.dst.cht as cht
from dscr import dst


def _mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))


def _make(init="csti", steps=30, seed=0, inputs=None, model=None, sparsity=0.9, beta=0.25):
    model = model or _mlp(seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    cfg = dst.DSTConfig(algorithm="chts", sparsity=sparsity, distribution="uniform", update_interval=5,
                        prune_rate=0.3, chts_init=init, chts_beta=beta)
    g = torch.Generator().manual_seed(5)
    features = model[1].in_features
    x = torch.randn(64, features, generator=g) if inputs is None else inputs
    y = torch.randint(0, 3, (64,), generator=g)
    closure = lambda: nn.functional.cross_entropy(model(x), y)  # noqa: E731
    return model, opt, dst.create(model, opt, cfg, steps, loss_closure=closure, seed=seed), (x, y)


def _codebase_ch3_l3(adjacency: np.ndarray) -> np.ndarray:
    """CH_scores_new_v2.cpp with lengths [3] and model CH3, written out on the monopartite graph: for every pair
    (ns, nd), every simple path ns - a - b - nd; deg_i[n] = the number of those paths through n (minus links
    between nodes both joined to ns and nd), deg_e[n] = deg[n] - links to ns or nd - deg_i[n]; the pair scores
    the sum over paths of 1 / sqrt((1 + deg_e[a]) (1 + deg_e[b]))."""
    outs, ins = adjacency.shape
    n = outs + ins
    x = np.zeros((n, n), dtype=int)
    x[:outs, outs:] = adjacency
    x[outs:, :outs] = adjacency.T
    deg = x.sum(1)
    scores = np.zeros((n, n))
    for ns, nd in itertools.combinations(range(n), 2):
        paths = [(a, b) for a in np.flatnonzero(x[ns]) for b in np.flatnonzero(x[a])
                 if b not in (ns, a) and x[b, nd] and nd not in (ns, a, b)]
        if not paths:
            continue
        conn = x[ns] + x[nd]
        deg_i = np.zeros(n)
        for path in paths:
            for node in path:
                deg_i[node] += 1
        deg_e = {}
        for node in {v for p in paths for v in p}:
            internal = deg_i[node] - sum(1 for m in np.flatnonzero(x[node]) if conn[m] + conn[node] == 4)
            deg_e[node] = deg[node] - conn[node] - internal
        scores[ns, nd] = scores[nd, ns] = sum(1 / math.sqrt((1 + deg_e[a]) * (1 + deg_e[b])) for a, b in paths)
    return scores[:outs, outs:]


def test_ch3_l3_by_hand():
    # outputs o0..o2, inputs i0..i3; the missing link (o0, i2) has one path o0 - i1 - o1 - i2; i1 has no other
    # link (external degree 0), o1 also links i3 outside the community (external degree 1): 1 / sqrt(1 * 2)
    a = torch.zeros(3, 4, dtype=torch.bool)
    for o, i in [(0, 0), (0, 1), (1, 1), (1, 2), (1, 3), (2, 2)]:
        a[o, i] = True
    s = cht.ch3_l3_scores(a)
    assert s[0, 2] == pytest.approx(1 / math.sqrt(2))
    assert s[2, 0] == 0  # o2 - i2 - o1 - i? never reaches i0: o1 and o0 share no input with o2's
    assert s[0, 3] == pytest.approx(1 / math.sqrt(2))  # o0 - i1 - o1 - i3: o1's external link is now i2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ch3_l3_matches_the_codebase_on_random_graphs(seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(7, 9, generator=g) < 0.35
    ours = cht.ch3_l3_scores(a, chunk=7)  # small chunks: the chunking must not change the sums
    ref = _codebase_ch3_l3(a.numpy().astype(int))
    absent = ~a
    assert np.allclose(ours[absent].numpy(), ref[absent.numpy()])
    assert ref[absent.numpy()].max() > 0


def test_chain_removal_follows_dead_neurons_both_ways():
    first = torch.tensor([[1, 0], [1, 1], [0, 1]], dtype=torch.bool)   # 2 inputs -> 3 hidden
    second = torch.tensor([[1, 0, 0], [1, 0, 0]], dtype=torch.bool)    # 3 hidden -> 2 hidden: hidden 1, 2 unused
    third = torch.tensor([[1, 1], [0, 0]], dtype=torch.bool)           # 2 hidden -> 2 out
    kept = {"a": first.clone(), "b": second.clone(), "c": third.clone()}
    cht.chain_removal(kept, ["a", "b", "c"])
    # backward: hidden 1 and 2 of layer a have no outgoing links in b -> their incoming links go
    assert kept["a"].tolist() == [[True, False], [False, False], [False, False]]
    assert kept["b"].tolist() == second.tolist() and kept["c"].tolist() == third.tolist()
    kept = {"a": torch.tensor([[1, 0], [0, 0]], dtype=torch.bool),
            "b": torch.tensor([[1, 1], [1, 1]], dtype=torch.bool)}
    cht.chain_removal(kept, ["a", "b"])  # forward: hidden 1 receives nothing from a -> its outgoing links go
    assert kept["b"].tolist() == [[True, False], [True, False]]


def test_em_s_schedule_and_exact_density_with_masks_holding():
    model, opt, sparsifier, (x, y) = _make("csti", steps=30)
    # 30 steps, ΔT 5: updates at 5, 10, 15, 20 (< T_end = 22.5); +0.05 up to 0.6 T_end = 13.5, +0.025 until
    # T_end - ΔT = 17.5, then the target 0.1
    assert sparsifier.densities()["global"] == pytest.approx(0.15, abs=2e-3)
    for _ in range(30):
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sparsifier.step()
        opt.zero_grad()
    log = sparsifier.update_log
    assert [e["step"] for e in log] == [0, 5, 10, 15, 20]
    assert [e["global"] for e in log] == pytest.approx([0.15, 0.15, 0.15, 0.125, 0.1], abs=2e-3)
    assert all(e["grown"] > 0 for e in log[1:4]) and log[4]["grown"] == 0
    for name, mask in sparsifier.masks.items():
        weight = dict(model.named_parameters())[name]
        assert torch.all(weight[mask == 0] == 0)


def test_swi_draws_sparse_weights_with_the_density_scaled_kaiming_std():
    model = nn.Sequential(nn.Flatten(), nn.Linear(400, 300), nn.ReLU(), nn.Linear(300, 3))
    _, _, sparsifier, _ = _make("bsw", model=model, sparsity=0.85)
    weight, mask = model[1].weight.detach(), sparsifier.masks["1.weight"].bool()
    density = mask.float().mean().item()
    assert density == pytest.approx(0.2, abs=1e-3)  # 0.15 + EM_S's 0.05
    assert weight[mask].std().item() == pytest.approx(math.sqrt(2 / (density * 400)), rel=0.03)
    assert torch.all(weight[~mask] == 0)


def test_csti_links_the_most_correlated_feature_pairs_in_every_layer():
    g = torch.Generator().manual_seed(0)
    base = torch.randn(64, 3, generator=g)
    x = base.repeat(1, 4) + 0.3 * torch.randn(64, 12, generator=g)  # features k, k+3, k+6, k+9 correlate
    _, _, sparsifier, _ = _make("csti", inputs=x)
    corr = np.abs(np.corrcoef(x.numpy().T))
    np.fill_diagonal(corr, 0)
    for name, (outs, ins) in (("1.weight", (16, 12)), ("3.weight", (16, 16))):
        tiled = corr[np.arange(outs) % 12][:, np.arange(ins) % 12]  # the codebase's 2 x 2 tiling (--dim 2)
        mask = sparsifier.masks[name].bool().numpy()
        assert mask.sum() == round(0.15 * outs * ins)
        assert tiled[mask].min() >= tiled[~mask].max() - 1e-12


def test_bsw_is_the_codebase_ring_lattice_then_rewired():
    degrees = torch.tensor([2, 3] * 8)
    lattice = cht.ring_lattice(16, 16, degrees)
    for i in range(16):  # node i: degrees[i] consecutive nodes from int(i * rate - degree / 2), rate 16 / 16
        start = int(i - degrees[i].item() / 2)
        assert sorted(torch.nonzero(lattice[:, i]).flatten().tolist()) == sorted(
            (start + j) % 16 for j in range(degrees[i]))
    wide = cht.ring_lattice(4, 40, torch.ones(40, dtype=torch.long))  # rate 0.1: input i joins output int(0.1 i - 0.5)
    assert [torch.nonzero(wide[:, i]).item() for i in range(40)] == [int(0.1 * i - 0.5) % 4 for i in range(40)]
    plain = cht.bsw_topology((16, 40), 100, 0.0, torch.Generator().manual_seed(1))  # out 16 is the smaller side
    assert plain.shape == (16, 40) and int(plain.sum()) == 100
    arcs = sum(bool(((col.int().roll(1) - col.int()) == -1).sum() <= 1) for col in plain.T)
    assert arcs == 40  # every input's links form one arc (no rewiring at beta 0)
    moved = [int((cht.bsw_topology((64, 64), 640, 0.25, torch.Generator().manual_seed(s)) & ~cht.bsw_topology(
        (64, 64), 640, 0.0, torch.Generator().manual_seed(s))).sum()) for s in range(3)]
    assert all(abs(m / 640 - 0.25) < 0.06 for m in moved)  # about a quarter of the links moved


def test_regrowth_samples_in_proportion_to_the_ch3_score():
    _, _, sparsifier, _ = _make("bsw")
    kept = torch.zeros(3, 4, dtype=torch.bool)
    for o, i in [(0, 0), (0, 1), (1, 1), (1, 2), (1, 3), (2, 2)]:
        kept[o, i] = True
    scores = cht.ch3_l3_scores(kept) * ~kept
    draws = torch.stack([sparsifier._soft_growth(kept, 1) for _ in range(3000)]).float().mean(0)
    assert torch.allclose(draws, scores / scores.sum(), atol=0.03)
    assert not (draws * kept).any()
    grown = sparsifier._soft_growth(kept, 6)  # only 5 free links score above 0: every free link may be drawn
    assert int(grown.sum()) == 6 and not (grown & kept).any()


def test_unknown_init_is_refused():
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
