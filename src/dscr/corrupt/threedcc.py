"""ImageNet-3DCC (Kar et al., CVPR 2022): the 11 corruptions of the paper's appendix A.2, from an image and (all
but three) a depth map, after EPFL-VILAB/3DCommonCorruptions `create_3dcc/`.

Computed here, batched:
- without depth: ``color_quant`` (PIL posterize), ``iso_noise`` (Poisson then Gaussian), ``low_light``
  (gamma-2 darkening then Poisson-Gaussian noise), as ``create_non3d.py``;
- with a depth map (passed as ``suite.apply(..., depth=d)``, (N, 1, H, W), larger is farther):
  ``near_focus`` / ``far_focus`` (``create_dof.py``: 8 depth quantiles, a Gaussian blur stack with the
  circle of confusion of each quantile, blended by quantile membership), ``fog_3d`` (``create_fog.py``:
  transmission exp(-alpha * depth) towards the image mean), ``flash`` (``create_flash.py``: rgb + rgb * reshading /
  c), ``xy_motion_blur`` / ``z_motion_blur`` (``motion_video/create_motion.py``: the mean of the first frames of a
  camera moving sideways / forwards through the depth-based point cloud, see ``camera.py``), ``h265_abr`` and
  ``bit_error`` (``motion_video/create_video.py``: the last frame of that camera clip after H.265 at a reduced
  bit rate / after bit errors in its H.264 stream, see ``codec.py``).

Where the reference needs what cannot be had here, the closest depth-based version is used, and said:
- flash: the reference reads a *reshading* image (Taskonomy's shading under a light at the camera, predicted by a
  network for ImageNet); here it is computed from the depth map: the Lambertian term |n . l| of the surface normal
  of the depth's point cloud and the direction to the camera.
- xy / z motion blur, h265, bit error: the disoccluded background the reference inpaints with 3d-ken-burns'
  pretrained network is filled by its `fill_disocclusion` fallback alone (``camera.py``).
- The reference draws one camera path per image for all severities (and one clip for h265 and bit error); here
  each (corruption, severity, batch) draws its own, like every other corruption of the engine.
- The official release also holds ``h265_crf``, which the paper leaves out of its 11: it is not generated, and
  an official folder's ``h265_crf`` is evaluated and recorded outside the suite's mean.
``official_images`` lists a pre-generated folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from dscr.config import DscrError

from . import camera, codec, noise, ops

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


def _reshading(depth: torch.Tensor) -> torch.Tensor:
    """|n . l| of the depth's point cloud (the camera's focal as ``camera``'s): Lambertian shading under a light at
    the camera, the quantity Taskonomy's reshading images hold."""
    cloud = camera.unproject(depth.double(), camera.FOCAL * depth.shape[-1] / camera.REFERENCE_WIDTH)
    d_row, d_col = torch.gradient(cloud, dim=(2, 3))
    normal = torch.linalg.cross(d_col, d_row, dim=1)
    normal = normal / normal.norm(dim=1, keepdim=True).clamp_min(1e-12)
    light = -cloud / cloud.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return (normal * light).sum(dim=1, keepdim=True).abs().float()


def flash(x: torch.Tensor, generator: torch.Generator, scaler: float, depth: torch.Tensor) -> torch.Tensor:
    """rgb + rgb * reshading / scaler, clipped at 1 (``create_flash.py``), reshading from the depth map."""
    del generator
    return (x + x * _reshading(depth).to(x.device) / scaler).clamp(max=1.0)


def _motion_blur(x: torch.Tensor, depth: torch.Tensor, shift: torch.Tensor, zoom: torch.Tensor,
                 frames: int) -> torch.Tensor:
    steps = camera.camera_frames(x, depth.to(x.device), shift.to(x.device), zoom.to(x.device), frames)
    return torch.stack(steps).double().mean(dim=0).float() / 255.0  # np.mean of the uint8 frames


def _xy_path(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """`create_motion.py`'s sideways path: u in [-75, -50) or [50, 75) (a coin decides), v in [-75, 75)."""
    left = ops.randint(0, 2, (n,), generator, "cpu").bool()
    u = torch.where(left, ops.randint(-75, -50, (n,), generator, "cpu"), ops.randint(50, 75, (n,), generator, "cpu"))
    v = ops.randint(-75, 75, (n,), generator, "cpu")
    return torch.stack([u, v], dim=1).float(), torch.ones(n, 2)


def _z_path(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """`create_motion.py`'s forward path: centre moved by u, v in [-30, 30), crop scaled by [0.5, 0.6)."""
    shift = torch.stack([ops.randint(-30, 30, (n,), generator, "cpu"), ops.randint(-30, 30, (n,), generator, "cpu")],
                        dim=1).float()
    return shift, ops.uniform((n, 2), generator, "cpu", 0.5, 0.6)


def xy_motion_blur(x: torch.Tensor, generator: torch.Generator, frames: int, depth: torch.Tensor) -> torch.Tensor:
    """The mean of the first `frames` of 60 views of a camera moving sideways through the scene."""
    shift, zoom = _xy_path(len(x), generator)
    return _motion_blur(x, depth, shift, zoom, frames)


def z_motion_blur(x: torch.Tensor, generator: torch.Generator, frames: int, depth: torch.Tensor) -> torch.Tensor:
    """The mean of the first `frames` of 60 views of a camera moving forwards into the scene."""
    shift, zoom = _z_path(len(x), generator)
    return _motion_blur(x, depth, shift, zoom, frames)


def _clips(x: torch.Tensor, depth: torch.Tensor, generator: torch.Generator) -> list[bytes]:
    """Per image the clip `create_video.py` compresses: the zoom or the sideways path (a coin decides), 60 frames
    there and 59 back, written as moviepy writes it."""
    n = len(x)
    zoom_clip = ops.randint(0, 2, (n,), generator, "cpu").bool()
    xy_shift, xy_zoom = _xy_path(n, generator)
    z_shift, z_zoom = _z_path(n, generator)
    shift = torch.where(zoom_clip[:, None], z_shift, xy_shift)
    zoom = torch.where(zoom_clip[:, None], z_zoom, xy_zoom)
    steps = camera.camera_frames(x, depth.to(x.device), shift.to(x.device), zoom.to(x.device), camera.STEPS)
    frames = torch.stack(steps, dim=1).permute(0, 1, 3, 4, 2).cpu().numpy()  # (N, T, H, W, 3)
    return [codec.source_clip(list(clip) + list(clip[::-1][1:])) for clip in frames]


def _last_frames(images, like: torch.Tensor) -> torch.Tensor:
    out = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).to(like.device)
    h, w = like.shape[-2:]
    out = torch.nn.functional.pad(out, (0, w - out.shape[-1], 0, h - out.shape[-2]), mode="replicate") \
        if out.shape[-2:] != like.shape[-2:] else out  # odd sizes lose a row / column to yuv420p, as the crop
    return out.float() / 255.0


def h265_abr(x: torch.Tensor, generator: torch.Generator, divisor: int, depth: torch.Tensor) -> torch.Tensor:
    """The last frame of the camera clip after libx265 at 1 / `divisor` of the clip's bit rate."""
    return _last_frames([codec.h265_abr(clip, divisor) for clip in _clips(x, depth, generator)], x)


def bit_error(x: torch.Tensor, generator: torch.Generator, amount: int, depth: torch.Tensor) -> torch.Tensor:
    """The last frame of the camera clip's H.264 stream decoded after FFmpeg's `noise=amount` filter."""
    return _last_frames([codec.bit_error(clip, amount) for clip in _clips(x, depth, generator)], x)


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
