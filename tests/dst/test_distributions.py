"""Sparsity distributions: exact budgets, ERK re-solve instead of clipping, one-weight rounding."""

import math

import pytest

from dscr.dst import distributions
from dscr.dst.distributions import layer_counts, layer_densities

# A small first conv next to big layers: at density 0.5 its ERK share exceeds 1.
SHAPES = {"conv1": (16, 3, 3, 3), "conv2": (64, 16, 3, 3), "conv3": (128, 64, 3, 3), "fc": (10, 128)}
TOTAL = sum(math.prod(s) for s in SHAPES.values())


@pytest.mark.parametrize("kind", ["uniform", "er", "erk"])
@pytest.mark.parametrize("density", [0.05, 0.3, 0.5, 0.9])
def test_realised_density_equals_target(kind, density):
    counts = layer_counts(SHAPES, density, kind)
    assert sum(counts.values()) == round(density * TOTAL)
    assert all(0 <= counts[n] <= math.prod(SHAPES[n]) for n in SHAPES)


@pytest.mark.parametrize("kind", ["uniform", "er", "erk"])
def test_each_layer_within_one_weight_of_its_share(kind):
    fractions = distributions._solve_fractions(SHAPES, 0.5, kind)
    counts = layer_counts(SHAPES, 0.5, kind)
    for name, shape in SHAPES.items():
        assert abs(counts[name] - fractions[name] * math.prod(shape)) < 1.0 + 1e-9


def test_erk_resolves_instead_of_clipping():
    density = 0.5
    raw = {n: sum(s) / math.prod(s) for n, s in SHAPES.items()}
    scale = density * TOTAL / sum(raw[n] * math.prod(s) for n, s in SHAPES.items())
    # Clipping the over-full layer to 1 (what some public code does) misses the budget ...
    clipped = sum(min(1.0, scale * raw[n]) * math.prod(s) for n, s in SHAPES.items())
    assert scale * raw["conv1"] > 1 and clipped < density * TOTAL - 100
    # ... the re-solve makes it dense and hands its excess to the others.
    densities = layer_densities(SHAPES, density, "erk")
    assert densities["conv1"] == 1.0
    assert sum(layer_counts(SHAPES, density, "erk").values()) == round(density * TOTAL)
    assert densities["conv2"] > densities["conv3"]  # bigger layers are sparser


def test_er_ignores_the_kernel_and_uniform_is_flat():
    er, erk = layer_densities(SHAPES, 0.3, "er"), layer_densities(SHAPES, 0.3, "erk")
    assert er != erk
    uniform = layer_densities(SHAPES, 0.3, "uniform")
    assert all(abs(d - 0.3) < 1 / math.prod(SHAPES[n]) + 1e-12 for n, d in uniform.items())


def test_extremes_and_unknown_name():
    assert layer_counts(SHAPES, 1.0, "erk") == {n: math.prod(s) for n, s in SHAPES.items()}
    assert sum(layer_counts(SHAPES, 0.0, "erk").values()) == 0
    with pytest.raises(ValueError, match="allowed: er, erk, uniform"):
        layer_counts(SHAPES, 0.5, "erdos")
