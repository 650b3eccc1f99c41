"""The alias-table Poisson sampler behind shot noise: exact tables, goodness of fit, seeding and fallbacks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from dscr.corrupt import noise, poisson

# photon counts of the published tables (CIFAR, Tiny ImageNet, ImageNet, UCF101), odd ones and the largest
TABLE_PHOTONS = [500, 250, 100, 75, 50, 30, 15, 60, 25, 12, 5, 3, 25.5, 0.5, poisson.MAX_PHOTONS]


def clipped_law(rate: float, photons: float) -> np.ndarray:
    """scipy's P(K = k) for k < cap and P(K >= cap), cap = ceil(photons)."""
    cap = math.ceil(photons)
    return np.append(stats.poisson.pmf(np.arange(cap), rate), stats.poisson.sf(cap - 1, rate))


def decode(photons: float) -> np.ndarray:
    """The law each level's packed alias table samples from, (256, columns), in units of 2**-31."""
    packed, column_bits = poisson._packed_table(float(photons), "cpu")
    entries = packed.numpy().astype(np.int64).reshape(poisson.LEVELS, 1 << column_bits)
    unit = 1 << (poisson.RANDOM_BITS - column_bits)
    threshold, alias = entries & (unit - 1), entries >> (poisson.RANDOM_BITS - column_bits)
    law = threshold.copy()
    for level in range(poisson.LEVELS):
        np.add.at(law[level], alias[level], unit - threshold[level])
    return law


def counts_of(y: torch.Tensor, photons: float) -> np.ndarray:
    """Back from shot-noise values to counts (values clipped to 1 are the merged tail, count cap)."""
    counts = torch.round(y.double() * photons).long()
    return torch.where(y >= 1, math.ceil(photons), counts).numpy().ravel()


def on_level(level: int, count: int, dtype=torch.float32) -> torch.Tensor:
    return torch.full((count,), level, dtype=torch.uint8).to(dtype) / 255


def test_alias_tables_give_each_outcome_exactly_its_mass():
    rng = np.random.default_rng(0)
    for trial in range(200):
        rows, width, unit = int(rng.integers(1, 4)), 1 << int(rng.integers(0, 7)), int(rng.integers(1, 40))
        if trial % 4 == 0:  # sparse: a few outcomes hold everything
            masses = rng.multinomial(width * unit, rng.dirichlet(np.full(width, 0.2)), size=rows)
        elif trial % 4 == 1:  # every column exactly full
            masses = np.full((rows, width), unit)
        else:
            masses = rng.multinomial(width * unit, np.full(width, 1 / width), size=rows)
        threshold, alias = poisson.alias_tables(masses.astype(np.int64), unit)
        assert ((threshold >= 0) & (threshold <= unit)).all() and ((alias >= 0) & (alias < width)).all()
        received = threshold.copy()
        for r in range(rows):
            np.add.at(received[r], alias[r], unit - threshold[r])
        np.testing.assert_array_equal(received, masses)


def test_alias_tables_reject_masses_that_do_not_fill_the_columns():
    with pytest.raises(ValueError, match="sum"):
        poisson.alias_tables(np.array([[3, 2]]), unit=3)


def test_quantize_sums_exactly_and_stays_within_one_unit():
    rng = np.random.default_rng(1)
    pmf = rng.dirichlet(np.full(37, 0.3), size=20)
    masses = poisson.quantize(pmf, total_bits=20)
    assert (masses.sum(axis=1) == 1 << 20).all()
    assert np.abs(masses - pmf * (1 << 20)).max() < 1


@pytest.mark.parametrize("photons", TABLE_PHOTONS)
def test_tables_hold_the_clipped_poisson_law_to_2_pow_minus_31(photons):
    law = decode(photons) / 2.0 ** poisson.RANDOM_BITS
    cap = math.ceil(photons)
    assert (law[:, cap + 1:] == 0).all()  # padding columns are never drawn
    for level in range(poisson.LEVELS):
        expected = clipped_law(level / 255 * photons, photons)
        np.testing.assert_allclose(law[level, :cap + 1], expected, rtol=0, atol=2.0 ** -31 + 1e-13)


# rate = level / 255 * photons for a spread of rates; the last one has half its mass in the clipped tail
FIT_CASES = [(0.1, 17, 1.5), (3.0, 51, 15.0), (12.0, 102, 30.0), (60.0, 153, 100.0), (500.0, 64, 1992.1875),
             (3.0, 255, 3.0)]


@pytest.mark.parametrize("rate, level, photons", FIT_CASES)
def test_samples_fit_the_poisson_law(rate, level, photons):
    assert level / 255 * photons == pytest.approx(rate)
    n = 400_000
    y = poisson.shot_noise_on_grid(on_level(level, n), torch.Generator().manual_seed(level), photons)
    counts = counts_of(y, photons)
    law = clipped_law(rate, photons)
    observed = np.bincount(counts, minlength=len(law)).astype(np.float64)
    assert len(observed) == len(law)
    # chi-square over bins with at least 20 expected draws; the rarer outcomes on either side pooled
    expected = law * n
    keep = expected >= 20
    first, last = np.flatnonzero(keep)[[0, -1]]
    pool = lambda v: np.concatenate([[v[:first].sum()], v[first:last + 1], [v[last + 1:].sum()]])  # noqa: E731
    exp_b, obs_b = pool(expected), pool(observed)
    nonzero = exp_b > 0
    chi2 = ((obs_b[nonzero] - exp_b[nonzero]) ** 2 / exp_b[nonzero]).sum()
    dof = nonzero.sum() - 1
    assert stats.chi2.sf(chi2, dof) > 1e-3, (chi2, dof)
    support = np.arange(len(law))
    mean, var = (law * support).sum(), (law * support ** 2).sum() - (law * support).sum() ** 2
    assert abs(counts.mean() - mean) < 5 * math.sqrt(var / n)
    assert abs(counts.var() - var) < 0.02 * var


def test_a_wrong_rate_fails_the_fit():
    """The goodness-of-fit statistic above has the power to see a 2 % rate error."""
    y = poisson.shot_noise_on_grid(on_level(51, 400_000), torch.Generator().manual_seed(0), 15.0)
    observed = np.bincount(counts_of(y, 15.0), minlength=16)[:10]
    expected = clipped_law(3.0 * 1.02, 15.0)[:10] * 400_000
    assert stats.chi2.sf(((observed - expected) ** 2 / expected).sum(), 9) < 1e-6


def test_same_seed_same_output_other_seed_other_output():
    x = torch.arange(256, dtype=torch.uint8).repeat(40).float().div(255).view(10, 1, 32, 32)
    a = noise.shot_noise(x, torch.Generator().manual_seed(3), 50)
    b = noise.shot_noise(x, torch.Generator().manual_seed(3), 50)
    c = noise.shot_noise(x, torch.Generator().manual_seed(4), 50)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == x.shape and a.dtype == x.dtype and 0 <= a.min() and a.max() <= 1


def test_result_does_not_depend_on_the_cpu_chunk_size(monkeypatch):
    x = torch.randint(0, 256, (3, 3, 40, 40), dtype=torch.uint8).float() / 255
    whole = poisson.shot_noise_on_grid(x, torch.Generator().manual_seed(0), 100)
    monkeypatch.setattr(poisson, "CPU_CHUNK", 1000)
    assert torch.equal(poisson.shot_noise_on_grid(x, torch.Generator().manual_seed(0), 100), whole)


def test_values_are_the_counts_divided_as_torch_poisson_path_does():
    """Count k becomes k / photons in the input dtype, clipped to 1, whatever the path."""
    for dtype in (torch.float32, torch.float64):
        y = poisson.shot_noise_on_grid(on_level(200, 20_000, dtype), torch.Generator().manual_seed(0), 75.0)
        assert y.dtype == dtype
        counts = torch.from_numpy(counts_of(y, 75.0)).to(dtype)
        assert torch.equal(y, (counts / 75.0).clamp(0, 1))


@pytest.mark.parametrize("bad", ["off_grid", "above_one", "below_zero", "nan"])
def test_off_grid_input_falls_back_with_the_generator_untouched(monkeypatch, bad):
    monkeypatch.setattr(poisson, "CPU_CHUNK", 512)  # the bad value sits in the last chunk
    x = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8).float() / 255
    x.view(-1)[-1] = {"off_grid": 0.5 + 1e-3, "above_one": 256 / 255, "below_zero": -1 / 255, "nan": math.nan}[bad]
    generator = torch.Generator().manual_seed(7)
    assert poisson.shot_noise_on_grid(x, generator, 50) is None
    assert torch.equal(torch.rand(8, generator=generator), torch.rand(8, generator=torch.Generator().manual_seed(7)))


def test_shot_noise_uses_torch_poisson_off_the_grid_and_for_many_photons():
    x = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))  # not k / 255
    for photons, data in ((50, x), (poisson.MAX_PHOTONS + 1, (x * 255).round() / 255)):
        ours = noise.shot_noise(data, torch.Generator().manual_seed(1), photons)
        rates = data * photons
        expected = (torch.poisson(rates, generator=torch.Generator().manual_seed(1)) / photons).clamp(0, 1)
        assert torch.equal(ours, expected)
    assert poisson.shot_noise_on_grid(x, torch.Generator(), 0) is None


def test_shot_noise_takes_the_tables_on_the_grid():
    x = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8).float() / 255
    ours = noise.shot_noise(x, torch.Generator().manual_seed(1), 50)
    assert torch.equal(ours, poisson.shot_noise_on_grid(x, torch.Generator().manual_seed(1), 50))
    assert not torch.equal(ours, (torch.poisson(x * 50, generator=torch.Generator().manual_seed(1)) / 50).clamp(0, 1))


def test_random_bits_are_31_uniform_bits():
    bits = poisson.random_bits(200_001, torch.Generator().manual_seed(0))
    assert bits.dtype == torch.int32 and bits.numel() == 200_001 and bits.min() >= 0
    for half in (bits[0::2], bits[1::2]):  # low and high words of the int64 draws
        ones = torch.stack([(half >> b) & 1 for b in range(poisson.RANDOM_BITS)]).double().mean(dim=1)
        assert (ones - 0.5).abs().max() < 0.005, ones


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_for_a_cpu_generator():
    x = torch.randint(0, 256, (6, 3, 64, 64), dtype=torch.uint8).float() / 255
    cpu = noise.shot_noise(x, torch.Generator().manual_seed(2), 100)
    cuda = noise.shot_noise(x.cuda(), torch.Generator().manual_seed(2), 100)
    # same draws, same counts (CUDA divides by a scalar through its reciprocal: values may differ by an ulp)
    assert cuda.device.type == "cuda" and np.array_equal(counts_of(cuda.cpu(), 100), counts_of(cpu, 100))
    on_device = noise.shot_noise(x.cuda(), torch.Generator(device="cuda").manual_seed(2), 100)
    counts = torch.round(on_device * 100)
    assert on_device.device.type == "cuda" and abs(counts.mean().item() - (x * 100).mean().item()) < 0.1


@pytest.mark.parametrize("photons", [3, 50])
def test_each_draw_takes_its_column_below_the_threshold_and_the_alias_from_it(photons):
    """Draws just below and at each column's threshold, for every level: the sampler's decision boundary."""
    packed, column_bits = poisson._packed_table(float(photons), "cpu")
    shift = poisson.RANDOM_BITS - column_bits
    entries = packed.view(poisson.LEVELS, -1).long()
    threshold, alias = entries & ((1 << shift) - 1), entries >> shift
    levels, columns = torch.meshgrid(torch.arange(poisson.LEVELS), torch.arange(1 << column_bits), indexing="ij")
    for below, expected in ((threshold - 1, columns), (threshold, alias)):
        usable = below >= 0  # a zero threshold has no draw below it
        bits = ((columns << shift) | below.clamp(min=0))[usable].int()
        counts = poisson._sample_counts(levels[usable].int(), bits, packed, column_bits)
        assert torch.equal(counts.long(), expected[usable])
