"""The low/high-pass filter of the frequency analysis and the radius sweep."""

import math

import pytest
import torch

from dscr.analysis.frequency import (default_radii, frequency_filter, full_radius, radius_sweep,
                                     spectrum_distance)


def _low_frequency_image(size: int = 32) -> torch.Tensor:
    """A 3-channel image made of cosines with frequencies (1, 2) and (3, 0): spectral distance <= 3."""
    i = torch.arange(size, dtype=torch.float64)
    yy, xx = torch.meshgrid(i, i, indexing="ij")
    base = 100 + 40 * torch.cos(2 * math.pi * (yy + 2 * xx) / size) + 30 * torch.sin(2 * math.pi * 3 * yy / size)
    return torch.stack([base, 0.5 * base, base.flip(0)])[None]


def test_pure_low_frequency_image_passes_low_pass_unchanged():
    image = _low_frequency_image()
    assert torch.allclose(frequency_filter(image, 4, "low"), image, atol=1e-9)
    # the same radius high-passed leaves nothing (the constant term is a low frequency too)
    assert frequency_filter(image, 4, "high").abs().max() < 1e-9
    # a radius below the image's frequencies removes part of it
    assert (frequency_filter(image, 3, "low") - image).abs().max() > 10


def test_low_and_high_pass_are_complements_and_extremes_are_exact():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 32, 32, generator=g, dtype=torch.float64)
    for radius in (0, 1, 5.5, 12):
        assert torch.allclose(frequency_filter(x, radius, "low") + frequency_filter(x, radius, "high"), x)
    assert torch.allclose(frequency_filter(x, full_radius(32, 32), "low"), x)
    assert torch.allclose(frequency_filter(x, 0, "high"), x)
    assert frequency_filter(x, 0, "low").abs().max() == 0
    # radius 1 keeps only the zero frequency: every pixel becomes its channel's mean
    assert torch.allclose(frequency_filter(x, 1, "low"), x.mean(dim=(-2, -1), keepdim=True).expand_as(x))


def test_uint8_images_round_trip_and_keep_dtype():
    x = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    y = frequency_filter(x, full_radius(32, 32), "low")
    assert y.dtype == torch.uint8 and torch.equal(y, x)
    blurred = frequency_filter(x, 4, "low")
    assert blurred.dtype == torch.uint8 and not torch.equal(blurred, x)
    with pytest.raises(ValueError, match="allowed: low, high"):
        frequency_filter(x, 3, "band")


def test_spectrum_distance_and_radii():
    d = spectrum_distance(4, 6)
    assert d[2, 3] == 0 and d[0, 0] == pytest.approx(math.hypot(2, 3))
    assert full_radius(32, 32) == 23 and full_radius(28, 28) == 20
    radii = default_radii(32, 32, step=4)
    assert radii[0] == 0 and radii[-1] == 23 and 20 in radii


def test_radius_sweep_ends_at_clean_accuracy():
    g = torch.Generator().manual_seed(2)
    images = torch.randint(0, 256, (40, 3, 16, 16), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 3, (40,), generator=g)
    weight = torch.randn(3, 3 * 16 * 16, generator=g)
    predicts = {"linear": lambda x: x.float().flatten(1) @ weight.T}
    batches = [(images[:25], labels[:25]), (images[25:], labels[25:])]
    result = radius_sweep(predicts, batches, default_radii(16, 16, step=3))["linear"]
    top = str(full_radius(16, 16))
    assert result["low"][top] == result["clean"] == result["high"]["0"]
    assert set(result["low"]) == set(result["high"]) == {"0", "3", "6", "9", "12"}
    assert 0 <= result["low"]["3"] <= 100
