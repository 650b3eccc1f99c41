"""A procedural frost texture standing in for ImageNet-C's six frost photographs.

The photographs that hendrycks/robustness and imagecorruptions ship come with no statement of their
origin or of the right to redistribute them, so they are not copied here and frost is synthesised
instead: a mixture of fine grain (Gaussian-smoothed white noise, the ice crystals) and large-scale plasma
(uneven icing), coloured with the per-channel mean and standard deviation measured on each reference
photograph. What the corruption does to an image
(c0 * x + c1 * texture) is the reference's; only the texture is ours, so frost matches the reference in
brightness, tint and contrast, not in the exact crystal shapes.
"""

from __future__ import annotations

import torch

from . import ops

# (mean RGB, std RGB) on [0, 255] of frost1.png .. frost6.jpg, measured here on the copies inside the
# imagecorruptions-imaug wheel. The hendrycks scripts draw from the first five, imagecorruptions from all six.
FROST_STYLES = (
    ((77.7, 149.1, 165.7), (26.9, 16.5, 15.3)),
    ((200.8, 205.4, 214.5), (21.4, 22.1, 22.6)),
    ((200.8, 205.4, 214.5), (21.4, 22.1, 22.6)),
    ((137.6, 152.8, 165.2), (28.5, 28.5, 29.9)),
    ((112.4, 123.4, 134.8), (44.4, 43.3, 41.7)),
    ((71.4, 95.4, 104.5), (35.2, 42.7, 47.4)),
)
# Grain size of the photographs at full resolution, pixels (their lag-1 autocorrelation is ~0.6 after the
# CIFAR script's 0.2x resize), and the weight of the large-scale part (autocorrelation ~0.4 at 8 pixels).
_GRAIN_SIGMA = 3.5
_PLASMA_WEIGHT = 0.8


def _standardise(t: torch.Tensor) -> torch.Tensor:
    mean = t.mean(dim=(-2, -1), keepdim=True)
    std = t.std(dim=(-2, -1), keepdim=True).clamp_min(1e-6)
    return (t - mean) / std


def frost_texture(n: int, h: int, w: int, texture_scale: float, generator: torch.Generator,
                  device, styles: int = 5) -> torch.Tensor:
    """Frost textures in [0, 1], shaped (n, 3, h, w).

    Args:
        n, h, w: batch size and image size.
        texture_scale: the resize the reference applies to its photographs before cropping (0.2 for
            CIFAR, 0.3 for Tiny-ImageNet, 1 for ImageNet); grain size scales with it.
        generator: randomness source.
        device: output device.
        styles: how many of the photographs' colourings to draw from (5 hendrycks, 6 imagecorruptions).
    """
    from .weather import next_power_of_two, plasma_fractal

    style = ops.randint(0, styles, (n,), generator, device)
    means = torch.tensor([s[0] for s in FROST_STYLES], device=device)[style].view(n, 3, 1, 1)
    stds = torch.tensor([s[1] for s in FROST_STYLES], device=device)[style].view(n, 3, 1, 1)
    grain = ops.normal((n, 1, h, w), generator, device)
    grain = _standardise(ops.gaussian_blur(grain, max(_GRAIN_SIGMA * texture_scale, 0.5)))
    size = next_power_of_two(max(h, w))
    coarse = _standardise(plasma_fractal(n, size, 2.0, generator, device)[:, None, :h, :w])
    texture = _standardise(grain + _PLASMA_WEIGHT * coarse)
    return (torch.round(means + stds * texture).clamp(0, 255)) / 255.0
