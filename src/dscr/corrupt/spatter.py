"""Spatter of ImageNet-C: water drops (Canny edges, distance transform, embossing) or mud.

The reference builds the water mask with OpenCV (Canny, distanceTransform, equalizeHist, filter2D); those
steps are re-implemented here on batched tensors following OpenCV's definitions (L1-gradient Canny with
3x3 Sobel and hysteresis, the 5x5 chamfer distance used for DIST_L2 with mask 5, histogram equalisation
with a rounded LUT, 8-bit saturation after each uint8 step).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import ops

_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
_EMBOSS = torch.tensor([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])
# tan(22.5 deg) in OpenCV's 15-bit fixed point.
_TG22 = 13573


def canny(img8: torch.Tensor, low: int, high: int) -> torch.Tensor:
    """cv2.Canny(img, low, high) with aperture 3 and L1 gradient; img8 holds integer values (N, 1, H, W).

    Returns:
        bool (N, 1, H, W) edge map.
    """
    img8 = img8.double()  # the fixed-point angle tests below exceed float32's exact integers
    gx = ops.filter2d(img8, _SOBEL_X, "nearest")
    gy = ops.filter2d(img8, _SOBEL_X.T.contiguous(), "nearest")
    mag = gx.abs() + gy.abs()
    ax, ay = gx.abs(), gy.abs() * (1 << 15)
    tg22x = ax * _TG22
    tg67x = tg22x + ax * (1 << 16)
    left, right = ops.shift_zero(mag, 0, -1), ops.shift_zero(mag, 0, 1)
    up, down = ops.shift_zero(mag, -1, 0), ops.shift_zero(mag, 1, 0)
    same_sign = (gx * gy) >= 0  # OpenCV: s = (dx ^ dy) < 0 ? -1 : 1
    diag_a = torch.where(same_sign, ops.shift_zero(mag, -1, -1), ops.shift_zero(mag, -1, 1))
    diag_b = torch.where(same_sign, ops.shift_zero(mag, 1, 1), ops.shift_zero(mag, 1, -1))
    horizontal = (ay < tg22x) & (mag > left) & (mag >= right)
    vertical = (ay > tg67x) & (mag > up) & (mag >= down)
    diagonal = (ay >= tg22x) & (ay <= tg67x) & (mag > diag_a) & (mag > diag_b)
    candidate = (mag > low) & (horizontal | vertical | diagonal)
    edges = candidate & (mag > high)
    while True:  # hysteresis: grow strong edges into 8-connected candidates until nothing changes
        grown = candidate & _dilate3(edges)
        if torch.equal(grown, edges):
            return edges
        edges = grown


def _dilate3(mask: torch.Tensor) -> torch.Tensor:
    """3x3 binary dilation of a bool (N, 1, H, W) mask (separable OR of shifted copies)."""
    p = F.pad(mask, (1, 1, 1, 1))
    rows = p[..., :-2, :] | p[..., 1:-1, :] | p[..., 2:, :]
    return rows[..., :-2] | rows[..., 1:-1] | rows[..., 2:]


_CHAMFER5 = [(0, 1, 1.0), (0, -1, 1.0), (1, 0, 1.0), (-1, 0, 1.0),
             (1, 1, 1.4), (1, -1, 1.4), (-1, 1, 1.4), (-1, -1, 1.4),
             (1, 2, 2.1969), (2, 1, 2.1969), (-1, 2, 2.1969), (-2, 1, 2.1969),
             (1, -2, 2.1969), (2, -1, 2.1969), (-1, -2, 2.1969), (-2, -1, 2.1969)]


def distance_to_zero(nonzero: torch.Tensor, cap: float) -> torch.Tensor:
    """cv2.distanceTransform(DIST_L2, 5): chamfer distance to the nearest zero pixel, exact up to ``cap``.

    Args:
        nonzero: bool (N, 1, H, W), False where the distance is zero.
        cap: values beyond it are only known to be >= cap (the caller truncates there).
    """
    big = 1e4
    d = nonzero.float() * big
    for _ in range(int(cap) + 2):
        p = F.pad(d, (2, 2, 2, 2), value=big)
        h, w = d.shape[-2:]
        best = d
        for dy, dx, cost in _CHAMFER5:
            best = torch.minimum(best, p[..., 2 + dy:2 + dy + h, 2 + dx:2 + dx + w] + cost)
        if torch.equal(best, d):
            break
        d = best
    return d


def equalize_hist(img8: torch.Tensor) -> torch.Tensor:
    """cv2.equalizeHist per image on integer-valued (N, 1, H, W) tensors."""
    n = img8.shape[0]
    flat = img8.reshape(n, -1).long()
    hist = torch.zeros(n, 256, device=img8.device).scatter_add_(1, flat, torch.ones_like(flat, dtype=torch.float))
    total = flat.shape[1]
    first = (hist > 0).float().argmax(dim=1, keepdim=True)
    first_count = hist.gather(1, first)
    cum = hist.cumsum(1) - first_count  # running sum from the bin after the first non-empty one
    scale = 255.0 / (total - first_count).clamp_min(1)
    lut = torch.round(cum * scale).clamp(0, 255)
    lut = torch.where(first_count == total, first.float().expand_as(lut), lut)
    return lut.gather(1, flat).reshape(img8.shape)


def spatter(x: torch.Tensor, generator: torch.Generator, loc: float, scale: float, sigma: float,
            threshold: float, intensity: float, mud: bool) -> torch.Tensor:
    """Water drops (mud=False) or mud splashes (mud=True) on the image.

    Args:
        x: float images (N, 3, H, W) in [0, 1].
        generator: randomness source.
        loc, scale: normal noise of the liquid layer.
        sigma: Gaussian smoothing of the liquid layer.
        threshold: liquid below it is dry.
        intensity: water: opacity of the drops; mud: smoothing of the mud mask.
        mud: which of the two looks.

    Returns:
        Corrupted float images.
    """
    n, _, h, w = x.shape
    liquid = ops.normal((n, 1, h, w), generator, x.device, loc, scale, dtype=torch.float64)
    liquid = ops.gaussian_blur(liquid, sigma)
    liquid = torch.where(liquid < threshold, torch.zeros_like(liquid), liquid).float()
    if mud:
        m = ops.gaussian_blur((liquid > threshold).float(), intensity)
        m = torch.where(m < 0.8, torch.zeros_like(m), m)
        colour = torch.tensor([63.0, 42.0, 20.0], device=x.device).view(1, 3, 1, 1) / 255.0
        return (x * (1 - m) + colour * m).clamp(0, 1)
    liquid8 = torch.floor(liquid * 255).clamp(0, 255)
    edges = canny(liquid8, 50, 150)
    dist = distance_to_zero(~edges, cap=20.0).clamp(max=20.0)
    dist = torch.floor(ops.box_blur3(dist))
    dist = equalize_hist(dist)
    dist = torch.round(ops.filter2d(dist, _EMBOSS)).clamp(0, 255)
    dist = torch.round(ops.box_blur3(dist))
    m = liquid8 * dist
    m = m / m.amax(dim=(2, 3), keepdim=True).clamp_min(1e-12) * intensity
    colour = torch.tensor([175.0, 238.0, 238.0], device=x.device).view(1, 3, 1, 1) / 255.0
    return (x + m * colour).clamp(0, 1)
