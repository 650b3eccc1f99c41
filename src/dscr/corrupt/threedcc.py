"""ImageNet-3DCC (Kar et al., CVPR 2022): the corruptions that can be computed from an image (and a depth map).

Computed here, batched:
- without depth: ``color_quant`` (PIL posterize), ``iso_noise`` (Poisson then Gaussian), ``low_light``
  (gamma-2 darkening then Poisson-Gaussian noise), as ``create_3dcc/create_non3d.py``;
- with a depth map (passed as ``suite.apply(..., depth=d)``, (N, 1, H, W), larger is farther):
  ``near_focus`` / ``far_focus`` (``create_dof.py``: 8 depth quantiles, a Gaussian blur stack with the
  circle of confusion of each quantile, blended by quantile membership) and ``fog_3d``
  (``create_fog.py``: transmission exp(-alpha * depth) towards the image mean).

The rest of 3DCC (xy / z motion blur and flash need the scene mesh; bit error and h265 are produced on
rendered videos) are only available pre-generated: ``official_images`` lists such a folder.
"""

from __future__ import annotations

from pathlib import Path

import torch

from dscr.config import DscrError

from . import noise, ops

_GAUSS = (0.08, 0.12, 0.18, 0.26, 0.38)


def color_quant(x: torch.Tensor, generator: torch.Generator, bits: int) -> torch.Tensor:
    """PIL.ImageOps.posterize: keep the top ``bits`` bits of every 8-bit value."""
    del generator
    v = torch.round(x * 255).to(torch.int32)
    mask = ~((1 << (8 - bits)) - 1) & 0xFF
    return (v & mask).float() / 255.0


def _poisson_gaussian(x: torch.Tensor, generator: torch.Generator, photons: float, sigma: float) -> torch.Tensor:
    noisy = noise.shot_noise(x, generator, photons)
    return (noisy + ops.normal(x.shape, generator, x.device, std=sigma)).clamp(0, 1)


def iso_noise(x: torch.Tensor, generator: torch.Generator, sigma: float) -> torch.Tensor:
    """Photon noise at 25 photons, then electronic Gaussian noise of std ``sigma`` (0.7 x ImageNet-C's)."""
    return _poisson_gaussian(x, generator, 25.0, sigma)


def low_light(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """Stretch [min, max] of each image to [0, level] with gamma 2, then Poisson-Gaussian noise
    (120 photons, std 0.018: the reference's fixed 'severity 3' noise)."""
    lo = x.amin(dim=(1, 2, 3), keepdim=True)
    hi = x.amax(dim=(1, 2, 3), keepdim=True)
    dark = ((x - lo) / (hi - lo).clamp_min(1e-12)) ** 2 * level
    return _poisson_gaussian(dark, generator, 120.0, 0.1 * _GAUSS[2])


def fog_3d(x: torch.Tensor, generator: torch.Generator, alpha: float, depth: torch.Tensor) -> torch.Tensor:
    """Transmission t = exp(-alpha * depth); fog colour = mean of the image."""
    del generator
    t = torch.exp(-alpha * depth.to(x.device, x.dtype))
    airlight = x.mean(dim=(1, 2, 3), keepdim=True)
    return (t * x + airlight * (1 - t)).clamp(0, 1)


def _gaussian_operators(radii: torch.Tensor, size: int) -> torch.Tensor:
    """(N, size, size) replicate-border Gaussian blur matrices, std = radius, width int(3 r) made odd."""
    ops_list = []
    for r in radii.tolist():
        if r < 1e-1:
            ops_list.append(torch.eye(size, dtype=torch.float64))
            continue
        width = int(r * 3)
        width += 1 - width % 2
        t = torch.arange(width, dtype=torch.float64) - (width - 1) / 2
        kernel = torch.exp(-t ** 2 / (2 * r * r))
        ops_list.append(ops.axis_operator(size, kernel / kernel.sum(), "nearest"))
    return torch.stack(ops_list)


def _refocus(x: torch.Tensor, depth: torch.Tensor, quantiles: torch.Tensor, focus: torch.Tensor,
             aperture: float) -> torch.Tensor:
    n, c, h, w = x.shape
    radii = aperture * (quantiles - focus[:, None]).abs() / quantiles  # (N, Q)
    flat = depth.reshape(n, -1).double()
    right = torch.searchsorted(quantiles.contiguous(), flat.contiguous()).clamp(1, quantiles.shape[1] - 1)
    left = right - 1
    q_right, q_left = quantiles.gather(1, right), quantiles.gather(1, left)
    gap = q_right - q_left
    sim_left = 1 - ((flat - q_left) / gap) ** 2
    sim_right = 1 - ((q_right - flat) / gap) ** 2
    weights = torch.zeros(n, quantiles.shape[1], h * w, dtype=torch.float64, device=x.device)
    weights.scatter_(1, left[:, None], sim_left[:, None])
    weights.scatter_(1, right[:, None], sim_right[:, None])
    weights = weights / weights.sum(dim=1, keepdim=True)
    out = torch.zeros_like(x)
    for q in range(quantiles.shape[1]):
        rows = _gaussian_operators(radii[:, q].cpu(), h).to(x.device, x.dtype)
        cols = _gaussian_operators(radii[:, q].cpu(), w).to(x.device, x.dtype)
        blurred = torch.matmul(torch.matmul(rows[:, None], x), cols[:, None].transpose(-1, -2))
        out = out + blurred * weights[:, q].reshape(n, 1, h, w).to(x.dtype)
    return out.clamp(0, 1)


def _depth_quantiles(depth: torch.Tensor, count: int = 8, eps: float = 1e-4) -> torch.Tensor:
    probs = torch.arange(count + 1, dtype=torch.float64, device=depth.device) / count
    q = torch.quantile(depth.reshape(depth.shape[0], -1).double(), probs, dim=1).T.contiguous()  # (N, 9)
    q[:, 0] -= eps
    q[:, -1] += eps
    return q


def near_focus(x: torch.Tensor, generator: torch.Generator, aperture: float, depth: torch.Tensor) -> torch.Tensor:
    """Focus on the nearest depth quantile; everything farther blurs with its circle of confusion."""
    del generator
    q = _depth_quantiles(depth)
    return _refocus(x, depth, q, q[:, 0], aperture)


def far_focus(x: torch.Tensor, generator: torch.Generator, aperture: float, depth: torch.Tensor) -> torch.Tensor:
    """Focus on the 7/8 depth quantile with the reference's smaller far-focus aperture (aperture - 1.5)."""
    del generator
    q = _depth_quantiles(depth)
    return _refocus(x, depth, q, q[:, 7], aperture - 1.5)


def official_images(root: str | Path, corruption: str, severity: int | str) -> tuple[list[Path], list[int], list[str]]:
    """Images of a pre-generated ImageNet-3DCC (or any ImageNet-C-style) folder.

    Args:
        root: folder holding ``<corruption>/<severity>/<class>/<image>``.
        corruption: e.g. ``xy_motion_blur``.
        severity: 1..5 (or the folder name).

    Returns:
        (image paths, class indices, class names), classes sorted by name as torchvision's ImageFolder does.
    """
    folder = Path(root) / corruption / str(severity)
    if not folder.is_dir():
        raise DscrError(f"3DCC images missing: {folder} (expected <corruption>/<severity>/<class>/<image>)")
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir())
    paths, labels = [], []
    for index, name in enumerate(classes):
        for f in sorted((folder / name).iterdir()):
            if f.suffix.lower() in (".jpg", ".jpeg", ".png"):
                paths.append(f)
                labels.append(index)
    return paths, labels, classes
