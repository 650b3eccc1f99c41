"""Blurs of ImageNet-C: gaussian, glass, defocus, motion, zoom (and the motion kernel snow reuses)."""

from __future__ import annotations

import math

import numpy as np
import torch

from . import ops


def gaussian_blur(x: torch.Tensor, generator: torch.Generator, sigma: float) -> torch.Tensor:
    """skimage.filters.gaussian(sigma, channel_axis=-1): per channel, border 'nearest', truncate 4."""
    del generator
    return ops.gaussian_blur(x, sigma).clamp(0, 1)


def glass_permutation(n: int, h: int, w: int, delta: int, iterations: int, generator: torch.Generator,
                      swap: bool = False, swap_probability: float = 1.0) -> torch.Tensor:
    """Where each pixel ends up after the reference's sequential local swaps, for n images at once.

    The reference walks rows h = H-delta .. delta+1 and columns likewise (descending) and "swaps" each pixel
    with a neighbour at offsets drawn from randint(-delta, delta) (high end excluded). On (H, W, 3) images its
    tuple swap acts on numpy views, so it really copies: x[h, w] = x[h', w'] and the neighbour is left as it
    was (``swap=False``); on 2-D grey images (MNIST-C) the elements are scalars and it truly swaps
    (``swap=True``), and MNIST-C skips each position with probability 1 - ``swap_probability``. Values can be
    carried several steps along the walk. The walk only depends on the offsets, so it is replayed here on an
    index map, one step per position for the whole batch at once: the cost does not grow with the batch.

    Returns:
        int64 (n, h*w): source pixel index for every output pixel.
    """
    rows = range(h - delta, delta, -1)
    cols = range(w - delta, delta, -1)
    positions = np.array([r * w + c for r in rows for c in cols], dtype=np.int64)
    steps = iterations * len(positions)
    offsets = ops.randint(-delta, delta, (steps, 2, n), generator, "cpu").numpy()
    flat_offsets = offsets[:, 1] * w + offsets[:, 0]  # the reference unpacks (dx, dy)
    active = None
    if swap_probability < 1.0:
        active = (ops.uniform((steps, n), generator, "cpu") < swap_probability).numpy()
    perm = np.tile(np.arange(h * w, dtype=np.int64)[:, None], (1, n))  # (HW, n): row p = sources at p
    batch = np.arange(n)
    if delta == 1 and active is None and not swap:
        # Offsets are -1 or 0, so every source q is the position itself or one the descending walk reaches
        # later in the same pass: a whole pass reads values from before it and is one gather.
        for block in flat_offsets.reshape(iterations, len(positions), n):
            perm[positions] = perm[positions[:, None] + block, batch]
        return torch.from_numpy(perm.T.copy())
    for step in range(steps):
        p = positions[step % len(positions)]
        q = p + flat_offsets[step]
        moved = perm[q, batch]
        if active is None and not swap:
            perm[p] = moved
            continue
        here = perm[p].copy()
        on = active[step] if active is not None else np.ones(n, dtype=bool)
        perm[p] = np.where(on, moved, here)
        if swap:
            perm[q[on], batch[on]] = here[on]
    return torch.from_numpy(perm.T.copy())


def glass_blur(x: torch.Tensor, generator: torch.Generator, sigma: float, delta: int,
               iterations: int) -> torch.Tensor:
    """Gaussian blur, 8-bit truncation, local pixel swaps, gaussian blur again (the reference's steps)."""
    n, c, h, w = x.shape
    # np.uint8 of skimage's float64 blur: computed in float64 too, so that flat areas drop to k-1 exactly
    # where the reference's do (no rounding guard).
    blurred = (torch.floor(ops.gaussian_blur(x.double(), sigma) * 255.0).clamp(0, 255) / 255.0).to(x.dtype)
    perm = glass_permutation(n, h, w, delta, iterations, generator).to(x.device)
    shuffled = blurred.reshape(n, c, h * w).gather(2, perm[:, None, :].expand(n, c, h * w)).reshape(n, c, h, w)
    return ops.gaussian_blur(shuffled, sigma).clamp(0, 1)


def disk_kernel(radius: float, alias_blur: float) -> torch.Tensor:
    """ImageNet-C's anti-aliased disk: a binary disk normalised to 1, smoothed by a 3x3 (5x5 if radius > 8)
    Gaussian with cv2.GaussianBlur's reflect-101 border. Returns float32 (K, K)."""
    if radius <= 8:
        span, ksize = np.arange(-8, 8 + 1), 3
    else:
        span, ksize = np.arange(-radius, radius + 1), 5
    xx, yy = np.meshgrid(span, span)
    disk = ((xx ** 2 + yy ** 2) <= radius ** 2).astype(np.float32)
    disk /= disk.sum()
    t = np.arange(ksize) - (ksize - 1) / 2
    g = np.exp(-0.5 * t ** 2 / alias_blur ** 2)
    g = torch.from_numpy(g / g.sum())
    k = torch.from_numpy(disk.astype(np.float64))[None, None]
    k = ops.correlate1d(ops.correlate1d(k, g, -2, "reflect101"), g, -1, "reflect101")
    return k[0, 0].float()


def defocus_blur(x: torch.Tensor, generator: torch.Generator, radius: float, alias_blur: float) -> torch.Tensor:
    """cv2.filter2D with the anti-aliased disk on every channel (reflect-101 border)."""
    del generator
    return ops.filter2d(x, disk_kernel(radius, alias_blur)).clamp(0, 1)


def motion_taps(radius: int, sigma: float, angles_deg: torch.Tensor, height: int, width: int):
    """Shifts and weights of the ImageMagick-style motion blur as imagecorruptions re-implements it.

    A one-sided Gaussian of 2*radius+1 taps; tap i shifts the image by i pixels along the angle
    (rounded with ceil(v - 0.5)); taps that would leave the image stop the sum (weights not renormalised).

    Returns:
        (dy, dx, weights), each (N, T) on CPU.
    """
    taps = 2 * radius + 1
    t = torch.arange(taps, dtype=torch.float64)
    kernel = torch.exp(-t ** 2 / (2 * sigma ** 2)) / (math.sqrt(2 * math.pi) * sigma)
    kernel = kernel / kernel.sum()
    rad = torch.deg2rad(angles_deg.double().cpu())[:, None]
    p0, p1 = taps * torch.sin(rad), taps * torch.cos(rad)
    hyp = torch.hypot(p0, p1)
    dy = -torch.ceil(t * p0 / hyp - 0.5)
    dx = -torch.ceil(t * p1 / hyp - 0.5)
    inside = (dy.abs() < height) & (dx.abs() < width)
    inside = torch.cumprod(inside.long(), dim=1).bool()
    weights = torch.where(inside, kernel.expand_as(dy), torch.zeros_like(dy))
    return dy.long(), dx.long(), weights


def motion_blur_with_angle(x: torch.Tensor, radius: int, sigma: float, angles_deg: torch.Tensor) -> torch.Tensor:
    """Motion blur every image along its own angle (degrees); edges replicated."""
    dy, dx, weights = motion_taps(radius, sigma, angles_deg, x.shape[-2], x.shape[-1])
    return ops.shift_sum(x, dy, dx, weights)


def motion_blur(x: torch.Tensor, generator: torch.Generator, radius: int, sigma: float) -> torch.Tensor:
    """Motion blur at an angle drawn uniformly in [-45, 45) degrees per image."""
    angles = ops.uniform((x.shape[0],), generator, "cpu", -45.0, 45.0, dtype=torch.float64)
    return motion_blur_with_angle(x, radius, sigma, angles).clamp(0, 1)


def zoom_blur(x: torch.Tensor, generator: torch.Generator, zooms: tuple[float, ...]) -> torch.Tensor:
    """Mean of the image and its clipped zooms by every factor in ``zooms``."""
    del generator
    op = ops.zoom_blur_operator(x.shape[-2], x.shape[-1], tuple(float(z) for z in zooms), device=str(x.device))
    return ((x + ops.apply_pixel_operator(x, op)) / (len(zooms) + 1)).clamp(0, 1)
