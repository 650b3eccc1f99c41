"""Weather corruptions of ImageNet-C: fog (diamond-square plasma), snow, frost (procedural texture)."""

from __future__ import annotations

import torch

from . import ops
from .blur import motion_blur_with_angle
from .frost import frost_texture


def plasma_fractal(n: int, mapsize: int, decay: float, generator: torch.Generator, device) -> torch.Tensor:
    """Diamond-square height maps in [0, 1], one per image, as ImageNet-C's ``plasma_fractal``.

    Args:
        n: number of maps.
        mapsize: side, a power of two.
        decay: the 'wibble' divisor per octave (larger: smoother maps).
        generator: randomness source.
        device: where the maps are returned.

    Returns:
        float32 (n, mapsize, mapsize).
    """
    assert mapsize & (mapsize - 1) == 0, "mapsize must be a power of two"
    m = torch.zeros(n, mapsize, mapsize, dtype=torch.float64, device=device)
    step, wibble = mapsize, 100.0

    def wibbled_mean(total: torch.Tensor) -> torch.Tensor:
        return total / 4 + wibble * ops.uniform(total.shape, generator, device, -wibble, wibble, torch.float64)

    while step >= 2:
        half = step // 2
        corners = m[:, 0::step, 0::step]
        squares = corners + corners.roll(-1, dims=1)
        squares = squares + squares.roll(-1, dims=2)
        m[:, half::step, half::step] = wibbled_mean(squares)
        centres = m[:, half::step, half::step]
        corners = m[:, 0::step, 0::step]
        m[:, 0::step, half::step] = wibbled_mean(centres + centres.roll(1, dims=1) + corners + corners.roll(-1, dims=2))
        m[:, half::step, 0::step] = wibbled_mean(centres + centres.roll(1, dims=2) + corners + corners.roll(-1, dims=1))
        step //= 2
        wibble /= decay
    m = m - m.amin(dim=(1, 2), keepdim=True)
    return (m / m.amax(dim=(1, 2), keepdim=True)).float()


def next_power_of_two(v: int) -> int:
    return 1 if v <= 1 else 1 << (v - 1).bit_length()


def fog(x: torch.Tensor, generator: torch.Generator, thickness: float, decay: float) -> torch.Tensor:
    """Add ``thickness`` * plasma fractal, then rescale by max/(max + thickness) (max over the image)."""
    n, _, h, w = x.shape
    plasma = plasma_fractal(n, next_power_of_two(max(h, w)), decay, generator, x.device)[:, None, :h, :w]
    peak = x.amax(dim=(1, 2, 3), keepdim=True)
    return ((x + thickness * plasma) * peak / (peak + thickness)).clamp(0, 1)


def snow(x: torch.Tensor, generator: torch.Generator, loc: float, scale: float, zoom: float, threshold: float,
         radius: int, blur_sigma: float, blend: float, trim: str = "center") -> torch.Tensor:
    """Snow flakes: thresholded zoomed noise, motion blurred at an angle in [-135, -45), added twice
    (the layer and its 180-degree rotation) over a brightened, desaturated image.

    Args:
        x: float images (N, 3, H, W).
        generator: randomness source.
        loc, scale: normal noise of the snow layer.
        zoom: clipped zoom of the layer (flake size).
        threshold: layer values below it are cleared.
        radius, blur_sigma: motion blur of the layer.
        blend: weight of the original image against max(x, 1.5 * grey + 0.5).
        trim: how the zoomed layer is cropped ('center' hendrycks, 'start' imagecorruptions).

    Returns:
        Corrupted float images.
    """
    n, _, h, w = x.shape
    layer = ops.normal((n, 1, h, w), generator, x.device, loc, scale)
    # imagecorruptions blurs the whole zoomed crop and crops afterwards (edges replicate further out)
    layer = ops.clipped_zoom(layer, zoom, trim, whole=trim == "start")
    layer = torch.where(layer < threshold, torch.zeros_like(layer), layer).clamp(0, 1)
    if trim == "center":  # hendrycks hands ImageMagick the layer as an 8-bit image (np.uint8: truncated)
        layer = torch.floor(layer * 255) / 255
    angles = ops.uniform((n,), generator, "cpu", -135.0, -45.0, dtype=torch.float64)
    layer = motion_blur_with_angle(layer, radius, blur_sigma, angles)[..., :h, :w]
    layer = torch.round(layer * 255) / 255  # the blurred layer comes back as an 8-bit image
    grey = ops.rgb_to_gray(x)
    x = blend * x + (1 - blend) * torch.maximum(x, grey * 1.5 + 0.5)
    return (x + layer + layer.flip(-1, -2)).clamp(0, 1)


def frost(x: torch.Tensor, generator: torch.Generator, image_weight: float, frost_weight: float,
          texture_scale: float, styles: int = 5) -> torch.Tensor:
    """image_weight * x + frost_weight * frost texture, clipped (the texture is procedural, see frost.py).

    Like the reference, which crops every image's frost from one of a few photographs, each batch draws a
    small bank of textures twice the image size and gives every image a random crop of a random one.
    """
    n, _, h, w = x.shape
    bank_size = min(n, _FROST_BANK)
    bank = frost_texture(bank_size, 2 * h, 2 * w, texture_scale, generator, x.device, styles)  # (K, 3, 2H, 2W)
    pick = ops.randint(0, bank_size, (n,), generator, x.device)
    top = ops.randint(0, h + 1, (n,), generator, x.device)
    left = ops.randint(0, w + 1, (n,), generator, x.device)
    # one flat index per output value, (N, 3, H, W) order, into the bank (K, 3, 2H, 2W)
    start = pick * (3 * 4 * h * w) + top * (2 * w) + left
    channel = torch.arange(3, device=x.device) * (4 * h * w)
    offset = (torch.arange(h, device=x.device)[:, None] * (2 * w) + torch.arange(w, device=x.device)).view(1, h, w)
    index = start.view(n, 1, 1, 1) + (channel.view(3, 1, 1) + offset).unsqueeze(0)
    texture = bank.reshape(-1).take(index)
    return (image_weight * x + frost_weight * texture).clamp(0, 1)


# Textures drawn per batch (the reference has 5 photographs to crop from).
_FROST_BANK = 16
