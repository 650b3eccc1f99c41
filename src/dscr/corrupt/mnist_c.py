"""Fashion-MNIST-C in the MNIST-C style (Mu & Gilmer, arXiv:1906.02337; Weiss & Tonella 2022).

The published Fashion-MNIST-C (testingautomated-usi/fashion-mnist-c, ``generator.py``) applies one of 15
MNIST-C corruptions to each test image at the corruption's single default severity. Here each corruption
is a suite entry with that one severity, so a model can be scored per corruption (the published mix is the
average over them). Images are grey (N, 1, 28, 28).

Two behaviours of the published generator are kept on purpose: its ``gaussian(..., multichannel=True)`` on
a 2-D image blurs along rows only (skimage < 0.19 took the last axis for channels), and its ``saturate``
scales the whole HSV array (hue and value too), which for grey images is 0.977 * clip(20 x + 0.2).
"""

from __future__ import annotations

import torch

from . import blur, noise, ops


def _warp(x: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """skimage.transform.warp(x, inverse_map=affine): output pixel (col, row) samples the input at
    matrices @ (col, row, 1), bilinear, zero outside. matrices: (N, 2, 3) float64."""
    n, _, h, w = x.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64),
                            indexing="ij")
    grid = torch.stack([xs, ys, torch.ones_like(xs)]).reshape(3, -1)
    src = (matrices.cpu() @ grid).reshape(n, 2, h, w).to(x.device)
    return ops.sample_bilinear_zero(x, src[:, 1].to(x.dtype), src[:, 0].to(x.dtype))


def _centred(linear: torch.Tensor, centre: float) -> torch.Tensor:
    """(N, 2, 2) linear parts -> (N, 2, 3) affine maps that keep (centre, centre) fixed, as MNIST-C does."""
    shift = centre * (1 - linear.sum(dim=2, keepdim=True))
    return torch.cat([linear, shift], dim=2)


def _random_sign(n: int, generator) -> torch.Tensor:
    return torch.where(ops.uniform((n,), generator, "cpu") < 0.5, -1.0, 1.0).double()


def shear(x: torch.Tensor, generator: torch.Generator, amount: float) -> torch.Tensor:
    """Shear by +-amount (skimage's pre-0.19 AffineTransform(shear=...)), centre fixed."""
    c = amount * _random_sign(x.shape[0], generator)
    zero, one = torch.zeros_like(c), torch.ones_like(c)
    linear = torch.stack([torch.stack([one, -torch.sin(c)], 1), torch.stack([zero, torch.cos(c)], 1)], 1)
    return _warp(x, _centred(linear, (x.shape[-1] - 1) / 2)).clamp(0, 1)


def rotate(x: torch.Tensor, generator: torch.Generator, radians: float) -> torch.Tensor:
    """Rotate by +-radians about the centre."""
    r = radians * _random_sign(x.shape[0], generator)
    linear = torch.stack([torch.stack([torch.cos(r), -torch.sin(r)], 1),
                          torch.stack([torch.sin(r), torch.cos(r)], 1)], 1)
    return _warp(x, _centred(linear, (x.shape[-1] - 1) / 2)).clamp(0, 1)


def scale(x: torch.Tensor, generator: torch.Generator, factor: float) -> torch.Tensor:
    """Sample the input at ``factor`` times the distance from the centre (factor > 1 shrinks the image)."""
    del generator
    linear = torch.eye(2, dtype=torch.float64).expand(x.shape[0], 2, 2) * factor
    return _warp(x, _centred(linear, (x.shape[-1] - 1) / 2)).clamp(0, 1)


def brightness(x: torch.Tensor, generator: torch.Generator, shift: float) -> torch.Tensor:
    """HSV value + shift on a grey image: min(x + shift, 1)."""
    del generator
    return (x + shift).clamp(0, 1)


def contrast(x: torch.Tensor, generator: torch.Generator, factor: float) -> torch.Tensor:
    del generator
    means = x.mean(dim=(1, 2, 3), keepdim=True)
    return ((x - means) * factor + means).clamp(0, 1)


def saturate(x: torch.Tensor, generator: torch.Generator, scale_: float, offset: float) -> torch.Tensor:
    """The published HSV-array scaling on grey input (hue and saturation become ``offset``)."""
    del generator
    value = (x * scale_ + offset).clamp(0, 1)
    hue6 = min(offset, 1.0) * 6  # sector and fraction of the hue, as skimage's hsv2rgb
    sector, frac = int(hue6) % 6, hue6 - int(hue6)
    s = min(offset, 1.0)
    p, q, t = 1 - s, 1 - s * frac, 1 - s * (1 - frac)
    rgb = [(1, t, p), (q, 1, p), (p, 1, t), (p, q, 1), (t, p, 1), (1, p, q)][sector]
    grey = 0.2125 * rgb[0] + 0.7154 * rgb[1] + 0.0721 * rgb[2]  # skimage rgb2gray
    return (value * grey).clamp(0, 1)


def inverse(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    del generator
    return 1 - x


def flip_sides(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """np.fliplr."""
    del generator
    return x.flip(-1)


def flip_up_down(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """np.flipud."""
    del generator
    return x.flip(-2)


def turn_right(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """np.rot90(k=3): a clockwise quarter turn (published as 'flip_left_right')."""
    del generator
    return torch.rot90(x, 3, dims=(-2, -1))


def turn_left(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """np.rot90(k=1): a counter-clockwise quarter turn (published as 'flip_top_bottom')."""
    del generator
    return torch.rot90(x, 1, dims=(-2, -1))


def glass_blur(x: torch.Tensor, generator: torch.Generator, sigma: float, delta: int, iterations: int,
               swap_probability: float) -> torch.Tensor:
    """MNIST-C glass blur: row-only Gaussian (see module docstring), then true swaps (2-D arrays hold
    scalars, not views), each position swapped with probability ``swap_probability``."""
    n, c, h, w = x.shape
    blurred = torch.floor(ops.gaussian_blur(x, (sigma, 0.0)) * 255.0 + 1e-3).clamp(0, 255) / 255.0
    perm = blur.glass_permutation(n, h, w, delta, iterations, generator, swap=True,
                                  swap_probability=swap_probability).to(x.device)
    shuffled = blurred.reshape(n, c, h * w).gather(2, perm[:, None, :].expand(n, c, h * w)).reshape(n, c, h, w)
    return ops.gaussian_blur(shuffled, (sigma, 0.0)).clamp(0, 1)


def motion_blur(x: torch.Tensor, generator: torch.Generator, radius: int, sigma: float) -> torch.Tensor:
    return blur.motion_blur(x, generator, radius, sigma)


def shot_noise(x: torch.Tensor, generator: torch.Generator, photons: float) -> torch.Tensor:
    return noise.shot_noise(x, generator, photons)


def impulse_noise(x: torch.Tensor, generator: torch.Generator, amount: float) -> torch.Tensor:
    return noise.impulse_noise(x, generator, amount)


