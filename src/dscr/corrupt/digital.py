"""Digital corruptions of ImageNet-C: brightness, contrast, saturate, JPEG, pixelate, elastic transform."""

from __future__ import annotations

import functools

import numpy as np
import torch

from . import ops


def brightness(x: torch.Tensor, generator: torch.Generator, shift: float) -> torch.Tensor:
    """HSV value + shift, clipped (skimage rgb2hsv/hsv2rgb round trip).

    In HSV every channel is proportional to V at fixed hue and saturation, so the round trip is a per-pixel
    rescale by V'/V; black pixels (V = 0, S = 0) become grey V'.
    """
    del generator
    value = x.amax(dim=1, keepdim=True)
    new_value = (value + shift).clamp(0, 1)
    scale = new_value / value.clamp_min(1e-12)
    return torch.where(value > 0, x * scale, new_value.expand_as(x)).clamp(0, 1)


def saturate(x: torch.Tensor, generator: torch.Generator, scale: float, offset: float) -> torch.Tensor:
    """HSV saturation * scale + offset, clipped (skimage round trip).

    With V fixed, each channel is V - (V - c) * S'/S. Grey pixels have hue 0 in skimage, so a positive
    saturation turns them into (V, V(1-S'), V(1-S')).
    """
    del generator
    value = x.amax(dim=1, keepdim=True)
    delta = value - x.amin(dim=1, keepdim=True)
    sat = torch.where(value > 0, delta / value.clamp_min(1e-12), torch.zeros_like(value))
    new_sat = (sat * scale + offset).clamp(0, 1)
    ratio = new_sat / sat.clamp_min(1e-12)
    coloured = value - (value - x) * ratio
    grey = torch.cat([value, value * (1 - new_sat), value * (1 - new_sat)], dim=1)
    return torch.where(delta > 0, coloured, grey).clamp(0, 1)


def contrast(x: torch.Tensor, generator: torch.Generator, factor: float) -> torch.Tensor:
    """(x - mean) * factor + mean, with the mean per image and channel."""
    del generator
    means = x.mean(dim=(2, 3), keepdim=True)
    return ((x - means) * factor + means).clamp(0, 1)


def jpeg_compression(x: torch.Tensor, generator: torch.Generator, quality: int) -> torch.Tensor:
    """Encode and decode with libjpeg at ``quality`` (torchvision.io, batched; nvjpeg on CUDA tensors)."""
    del generator
    return ops.jpeg_roundtrip(torch.round(x * 255).to(torch.uint8), quality).float() / 255.0


@functools.lru_cache(maxsize=64)
def _pil_box_matrix(in_size: int, out_size: int) -> torch.Tensor:
    """PIL's BOX resampling weights as an (out, in) matrix (Resample.c precompute_coeffs)."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 0.5 * filterscale
    matrix = np.zeros((out_size, in_size))
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size)
        taps = (np.arange(xmin, xmax) - center + 0.5) / filterscale
        weights = ((taps > -0.5) & (taps <= 0.5)).astype(np.float64)
        if weights.sum() > 0:
            matrix[xx, xmin:xmax] = weights / weights.sum()
    return torch.from_numpy(matrix)


@functools.lru_cache(maxsize=64)
def _pil_nearest_matrix(in_size: int, out_size: int) -> torch.Tensor:
    """PIL's NEAREST resize as an (out, in) selection matrix.

    PIL (ImagingScaleAffine) walks the source coordinate by repeated addition of in/out from half a step,
    and truncates; the accumulated rounding decides ties such as 2.9999999999999996, so it is replayed.
    """
    step = in_size / out_size
    coord, src = step * 0.5, np.empty(out_size, dtype=np.int64)
    for i in range(out_size):
        src[i] = min(int(coord), in_size - 1)
        coord += step
    matrix = np.zeros((out_size, in_size))
    matrix[np.arange(out_size), src] = 1.0
    return torch.from_numpy(matrix)


def pil_resize(x: torch.Tensor, height: int, width: int, method: str) -> torch.Tensor:
    """PIL.Image.resize on 8-bit images: width pass, round to 8 bits, height pass, round (as PIL does)."""
    matrices = {"box": _pil_box_matrix, "nearest": _pil_nearest_matrix}[method]
    mw = matrices(x.shape[-1], width).to(device=x.device, dtype=x.dtype)
    mh = matrices(x.shape[-2], height).to(device=x.device, dtype=x.dtype)
    v = torch.round(x * 255.0)
    if width != x.shape[-1]:
        v = torch.floor(v @ mw.T + 0.5)
    if height != x.shape[-2]:
        v = torch.floor(mh @ v + 0.5)
    return v / 255.0


def pixelate(x: torch.Tensor, generator: torch.Generator, factor: float, upsample: str = "box") -> torch.Tensor:
    """BOX downscale to int(size * factor) then back up with ``upsample`` (box: hendrycks, nearest:
    imagecorruptions)."""
    del generator
    h, w = x.shape[-2:]
    small = pil_resize(x, int(h * factor), int(w * factor), "box")
    return pil_resize(small, h, w, upsample)


def _affine_inverse_maps(n: int, h: int, w: int, max_shift: float, generator, device):
    """Source coordinates of cv2.warpAffine for the random three-point affine of ImageNet-C's elastic.

    OpenCV 3/4 (the versions that made the published sets) inverts the matrix in closed form, evaluates the
    source position of every pixel as two terms each rounded to 1/1024 px, adds half a 1/32 step and keeps
    1/32 px (INTER_BITS = 5); this reproduces that quantisation.
    """
    center = np.float32([h, w]) // 2
    square = min(h, w) // 3
    src = torch.from_numpy(np.float32([center + square, [center[0] + square, center[1] - square], center - square]))
    dst = (src + ops.uniform((n, 3, 2), generator, "cpu", -max_shift, max_shift)).double()  # float32 sum, as numpy
    # M maps src -> dst (cv2.getAffineTransform).
    ones = torch.ones(n, 3, 1, dtype=torch.float64)
    m = torch.linalg.solve(torch.cat([src.double().expand(n, 3, 2), ones], dim=2), dst).transpose(1, 2)  # (n, 2, 3)
    a, b, c = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
    d, e, f = m[:, 1, 0], m[:, 1, 1], m[:, 1, 2]
    det = a * e - b * d
    det = torch.where(det != 0, 1.0 / det, torch.zeros_like(det))
    a11, a12, a21, a22 = e * det, -b * det, -d * det, a * det  # cv2.invertAffineTransform
    b1, b2 = -a11 * c - a12 * f, -a21 * c - a22 * f
    rows = torch.arange(h, dtype=torch.float64).view(1, h, 1)
    cols = torch.arange(w, dtype=torch.float64).view(1, 1, w)

    def fixed(v: torch.Tensor) -> torch.Tensor:  # saturate_cast<int>(v * 1024), round half to even
        return torch.round(v * 1024).long()

    def quantised(col_term, row_term, offset):
        row_part = fixed(row_term.view(n, 1, 1) * rows + offset.view(n, 1, 1))
        return ((row_part + 16 + fixed(col_term.view(n, 1, 1) * cols)) >> 5).double() / 32

    map_x = quantised(a11, a12, b1)
    map_y = quantised(a21, a22, b2)
    return map_y.to(device), map_x.to(device)


def displacement_field(x: torch.Tensor, generator: torch.Generator, alpha: float, sigma, amplitude: float):
    """alpha * gaussian(U(-amplitude, amplitude), sigma, mode='reflect', truncate=3) for dy and dx."""
    n, _, h, w = x.shape
    fields = []
    for _ in ("dx", "dy"):  # drawn in the reference's order
        noise = ops.uniform((n, h, w), generator, x.device, -amplitude, amplitude)
        fields.append(ops.gaussian_blur(noise, sigma, mode="reflect", truncate=3.0) * alpha)
    dx, dy = fields
    return dy, dx


def elastic_transform(x: torch.Tensor, generator: torch.Generator, alpha: float, sigma: float = 0.0,
                      affine: float = 0.0, amplitude: float = 1.0, sigma_rel: float = 0.0,
                      amplitude_rel: float = 0.0) -> torch.Tensor:
    """Random affine (cv2.warpAffine, reflect-101) then a smooth random displacement (map_coordinates
    order 1, mode 'reflect').

    Args:
        x: float images (N, C, H, W).
        generator: randomness source.
        alpha: displacement scale (pixels per unit of smoothed noise).
        sigma: smoothing of the noise, pixels; ``sigma_rel`` instead gives it as a fraction of (H, W).
        affine: maximum shift of the three affine control points, pixels (0: no affine step).
        amplitude: half-width of the uniform noise; ``amplitude_rel`` gives it as a fraction of H.

    Returns:
        Corrupted float images.
    """
    n, _, h, w = x.shape
    if affine > 0:
        sy, sx = _affine_inverse_maps(n, h, w, affine, generator, x.device)
        x = ops.sample_bilinear(x, sy.to(x.dtype), sx.to(x.dtype), "reflect101")
    smooth = (sigma_rel * h, sigma_rel * w) if sigma_rel else sigma
    amp = amplitude_rel * h if amplitude_rel else amplitude
    dy, dx = displacement_field(x, generator, alpha, smooth, amp)
    ys = torch.arange(h, device=x.device, dtype=x.dtype).view(1, h, 1) + dy
    xs = torch.arange(w, device=x.device, dtype=x.dtype).view(1, 1, w) + dx
    return ops.sample_bilinear(x, ys, xs, "reflect").clamp(0, 1)
