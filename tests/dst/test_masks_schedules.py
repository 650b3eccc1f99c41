"""Exact-count mask helpers (ties never change counts) and the schedule dataclasses."""

import math

import pytest
import torch

from dscr.dst.masks import prune_and_grow, topk_mask
from dscr.dst.schedules import Cubic, Phases, RateDecay, SoftBound, interval_steps


def test_topk_mask_exact_under_ties():
    scores = torch.ones(10, 10)
    for k in (0, 1, 37, 100):
        assert int(topk_mask(scores, k).sum()) == k


def test_prune_and_grow_exact_counts_when_all_magnitudes_tie():
    weight = torch.full((20, 20), 0.1)
    weight[::2] *= -1
    active = torch.zeros(400, dtype=torch.bool)
    active[:200] = True
    active = active.view(20, 20)
    # A `>=` threshold at the k-th magnitude would keep every tied weight: the trap this guards against.
    threshold = weight.abs()[active].kthvalue(200 - 60 + 1).values
    assert int((weight.abs()[active] >= threshold).sum()) == 200
    kept, grown = prune_and_grow(active, weight.abs(), lambda: torch.rand(20, 20), n_target=200, n_regrow=60)
    assert int(kept.sum()) == 140 and int(grown.sum()) == 60
    assert not (kept & grown).any() and not (kept & ~active).any()


def test_prune_and_grow_follows_a_changing_target():
    active = torch.zeros(100, dtype=torch.bool)
    active[:50] = True
    score = torch.arange(100.0)
    kept, grown = prune_and_grow(active, score, None, n_target=30, n_regrow=0)  # pure pruning
    assert kept.nonzero().flatten().tolist() == list(range(20, 50)) and not grown.any()
    kept, grown = prune_and_grow(active, score, lambda: score, n_target=100, n_regrow=0)  # decompress
    assert bool((kept | grown).all()) and int(kept.sum()) == 50


@pytest.mark.parametrize("kind,expected", [("constant", 0.5), ("cosine", 0.25),
                                           ("polynomial", 0.5 * 0.5 ** 0.01)])
def test_rate_decay_midpoint(kind, expected):
    decay = RateDecay(kind, 0.5, 1000)
    assert decay(0) == pytest.approx(0.5)
    assert decay(500) == pytest.approx(expected)
    assert decay(1000) == pytest.approx(0.5 if kind == "constant" else 0.0, abs=1e-12)


def test_cubic_softbound_phases_intervals():
    cubic = Cubic(0.8, 0.5, start=0, end=100)
    assert cubic(0) == 0.8 and cubic(100) == 0.5 and cubic(500) == 0.5
    assert cubic(50) == pytest.approx(0.5 + 0.3 * 0.5 ** 3)
    bound = SoftBound(0.3, 0.1, RateDecay("polynomial", 1.0, 1000), end=1000)
    assert bound(0) == pytest.approx(0.33) and bound(1000) == 0.3
    constant = SoftBound(0.95, 0.1, RateDecay("constant", 1.0, 10), end=10)
    assert constant(0) == 1.0 and constant(9) == 1.0 and constant(10) == 0.95  # a constant bound drops at `end`
    phases = Phases((0, 10, 20), (1.0, 0.5, 1.0))
    assert [phases(t) for t in (0, 9, 10, 19, 20, 99)] == [1.0, 1.0, 0.5, 0.5, 1.0, 1.0]
    assert interval_steps(5, 1, 22) == (5, 10, 15, 20)
    assert interval_steps(5, 11, 22) == (15, 20)
    assert math.isclose(RateDecay("polynomial", 0.1, 64000)(64000 - 500), 0.1 * (500 / 64000) ** 0.01)
