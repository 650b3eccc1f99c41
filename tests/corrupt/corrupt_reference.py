"""Reference outputs for the fidelity tests, built from the libraries the published scripts call.

imagecorruptions (installed for the tests only) supplies the ImageNet-constant corruptions for any size;
for the CIFAR constants the tests call the same library primitives the hendrycks/robustness script calls
(PIL, skimage, cv2, scipy) with the CIFAR numbers. `inject` replaces the random draws of both sides by the
same numbers so that random corruptions can be compared image by image.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")


def smooth_images(n: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    """Natural-looking uint8 test images (N, H, W, 3): upsampled colour noise plus edges."""
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        small = rng.uniform(0, 255, size=(max(h // 6, 2), max(w // 6, 2), 3)).astype(np.float32)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        img[rng.integers(0, h):, :, rng.integers(0, 3)] *= 0.5  # a hard edge
        out.append(np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8))
    return np.stack(out)


def to_nchw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()


def to_nhwc(x: torch.Tensor) -> np.ndarray:
    return x.permute(0, 2, 3, 1).cpu().numpy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def within_one(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of values that differ by at most one grey level."""
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16)) <= 1))


# ------------------------------------------------------------------ CIFAR-constant references (per image)
def cifar_reference(name: str, img: np.ndarray, p: dict) -> np.ndarray:
    """The hendrycks make_cifar_c.py step for a deterministic corruption, from library primitives."""
    import cv2
    import skimage as sk
    from PIL import Image
    from skimage.filters import gaussian

    from imagecorruptions.corruptions import disk

    x = img / 255.0
    if name == "gaussian_blur":
        y = np.clip(gaussian(x, sigma=p["sigma"], channel_axis=-1), 0, 1) * 255
    elif name == "defocus_blur":
        k = disk(radius=p["radius"], alias_blur=p["alias_blur"])
        y = np.clip(np.stack([cv2.filter2D(x[:, :, d], -1, k) for d in range(3)], -1), 0, 1) * 255
    elif name == "contrast":
        m = x.mean(axis=(0, 1), keepdims=True)
        y = np.clip((x - m) * p["factor"] + m, 0, 1) * 255
    elif name in ("brightness", "saturate"):
        hsv = sk.color.rgb2hsv(x)
        if name == "brightness":
            hsv[:, :, 2] = np.clip(hsv[:, :, 2] + p["shift"], 0, 1)
        else:
            hsv[:, :, 1] = np.clip(hsv[:, :, 1] * p["scale"] + p["offset"], 0, 1)
        y = np.clip(sk.color.hsv2rgb(hsv), 0, 1) * 255
    elif name == "jpeg_compression":
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=p["quality"])
        y = np.asarray(Image.open(buf))
    elif name == "pixelate":
        h, w = img.shape[:2]
        im = Image.fromarray(img).resize((int(w * p["factor"]), int(h * p["factor"])), Image.BOX)
        y = np.asarray(im.resize((w, h), Image.BOX))
    elif name == "zoom_blur":
        y = _zoom_blur_centre(img, p["zooms"])
    else:
        raise KeyError(name)
    return np.uint8(y)


def _zoom_blur_centre(img: np.ndarray, zooms) -> np.ndarray:
    from scipy.ndimage import zoom as scizoom

    x = (img / 255.0).astype(np.float32)
    h = x.shape[0]
    out = np.zeros_like(x)
    for z in zooms:
        ch = int(np.ceil(h / z))
        top = (h - ch) // 2
        zoomed = scizoom(x[top:top + ch, top:top + ch], (z, z, 1), order=1)
        trim = (zoomed.shape[0] - h) // 2
        out += zoomed[trim:trim + h, trim:trim + h]
    return np.clip((x + out) / (len(zooms) + 1), 0, 1) * 255


# ------------------------------------------------------------------ shared random draws
class SharedDraws:
    """Feeds the same standard-normal / uniform numbers to numpy.random (reference) and dscr.corrupt.ops."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.normals: list[np.ndarray] = []
        self.uniforms: list[np.ndarray] = []

    # reference side: records what it hands out
    def np_normal(self, loc=0.0, scale=1.0, size=None):
        z = self.rng.standard_normal(size)
        self.normals.append(z)
        return loc + scale * z

    def np_uniform(self, low=0.0, high=1.0, size=None):
        u = self.rng.random(size)
        self.uniforms.append(u)
        return low + (high - low) * u

    # our side: replays them in order, per image of a batch of one
    def ops_normal(self, shape, generator, device, mean=0.0, std=1.0, dtype=torch.float32):
        z = torch.as_tensor(self.normals.pop(0), dtype=dtype).reshape(shape)
        return (z * std + mean).to(device)

    def ops_uniform(self, shape, generator, device, low=0.0, high=1.0, dtype=torch.float32):
        u = torch.as_tensor(self.uniforms.pop(0), dtype=dtype).reshape(shape)
        return (u * (high - low) + low).to(device)

    @contextlib.contextmanager
    def reference(self, monkeypatch):
        with monkeypatch.context() as m:
            m.setattr(np.random, "normal", self.np_normal)
            m.setattr(np.random, "uniform", self.np_uniform)
            yield

    @contextlib.contextmanager
    def ours(self, monkeypatch):
        from dscr.corrupt import ops

        with monkeypatch.context() as m:
            m.setattr(ops, "normal", self.ops_normal)
            m.setattr(ops, "uniform", self.ops_uniform)
            yield
