"""Pixel noises of ImageNet-C (Hendrycks & Dietterich, arXiv:1903.12261): gaussian, shot, impulse, speckle.

All four draw per pixel and per channel, as ``np.random`` does on the (H, W, C) array of the reference.
"""

from __future__ import annotations

import torch

from . import ops, poisson


def gaussian_noise(x: torch.Tensor, generator: torch.Generator, sigma: float) -> torch.Tensor:
    """x + N(0, sigma^2), clipped to [0, 1].

    Args:
        x: float images (N, C, H, W) in [0, 1].
        generator: randomness source.
        sigma: noise standard deviation in [0, 1] units.

    Returns:
        Corrupted float images.
    """
    return (x + ops.normal(x.shape, generator, x.device, std=sigma)).clamp(0, 1)


def shot_noise(x: torch.Tensor, generator: torch.Generator, photons: float) -> torch.Tensor:
    """Poisson(x * photons) / photons, clipped to [0, 1]: fewer photons, more noise.

    Images that come from uint8 (every value ``level / 255``) are sampled through per-level alias tables
    (`poisson.shot_noise_on_grid`: exact to 2**-31, 6 to 8x cheaper on CPU); any other input, or more
    photons than the tables cover, goes through ``torch.poisson``, which is exact for any rate but draws
    a costly sample per value. The two paths consume the generator differently, so they give different
    (equally distributed) images for one seed.

    Args:
        x: float images (N, C, H, W) in [0, 1].
        generator: randomness source.
        photons: photons per unit intensity.

    Returns:
        Corrupted float images.
    """
    noisy = poisson.shot_noise_on_grid(x, generator, photons)
    if noisy is not None:
        return noisy
    counts = torch.poisson((x * photons).to(generator.device), generator=generator).to(x.device)
    return (counts / photons).clamp(0, 1)


def impulse_noise(x: torch.Tensor, generator: torch.Generator, amount: float) -> torch.Tensor:
    """Salt and pepper as skimage.util.random_noise(mode='s&p'): each value flips with probability
    ``amount`` to 1 or 0 with equal odds."""
    flipped = ops.uniform(x.shape, generator, x.device) < amount
    salt_or_pepper = (ops.uniform(x.shape, generator, x.device) < 0.5).to(x.dtype)
    return torch.where(flipped, salt_or_pepper, x)


def speckle_noise(x: torch.Tensor, generator: torch.Generator, sigma: float) -> torch.Tensor:
    """x + x * N(0, sigma^2), clipped to [0, 1]."""
    return (x + x * ops.normal(x.shape, generator, x.device, std=sigma)).clamp(0, 1)
