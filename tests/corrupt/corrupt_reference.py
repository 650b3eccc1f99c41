"""Reference outputs for the fidelity tests, built from the libraries the published scripts call.

imagecorruptions (installed for the tests only) supplies the ImageNet-constant corruptions for any size;
for the CIFAR constants, make_cifar_c.py re-does the hendrycks/robustness script with the libraries it calls
(PIL, skimage, cv2, scipy) and the CIFAR numbers. `SharedDraws` replaces the random draws of both sides by
the same numbers so that random corruptions can be compared image by image.
"""

from __future__ import annotations

import contextlib
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


# ------------------------------------------------------------------ the references by name
def reference_corruption(reference: str, name: str):
    """``fn(image_hwc_uint8, severity)`` of one reference (``make_cifar_c`` or ``imagecorruptions``), drawing
    from np.random; None if that reference lacks the corruption."""
    if reference == "make_cifar_c":
        import make_cifar_c

        return (lambda img, s: make_cifar_c.corrupt(img, name, s)) if name in make_cifar_c.CORRUPTIONS else None
    from imagecorruptions import corrupt, get_corruption_names

    return (lambda img, s: corrupt(img, s, name)) if name in get_corruption_names("all") else None


# ------------------------------------------------------------------ shared random draws
def _take(queue: list, shape) -> np.ndarray:
    """Pop recorded draws until they fill ``shape``.

    Several small reference draws can fill one batched draw (glass blur's offsets, one pair per position);
    an (H, W, C) per-pixel draw of the reference fills a (1, C, H, W) batch channel-first.
    """
    shape = tuple(shape)
    first = np.asarray(queue.pop(0))
    if first.ndim == 3 and shape == (1, first.shape[2], first.shape[0], first.shape[1]):
        return first.transpose(2, 0, 1).reshape(shape)
    parts, count, needed = [first.reshape(-1)], first.size, int(np.prod(shape))
    while count < needed:
        parts.append(np.asarray(queue.pop(0)).reshape(-1))
        count += parts[-1].size
    return np.concatenate(parts).reshape(shape)


class SharedDraws:
    """Feeds the same normal / uniform / integer numbers to numpy.random (reference) and dscr.corrupt.ops."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.normals: list[np.ndarray] = []
        self.uniforms: list[np.ndarray] = []
        self.integers: list[np.ndarray] = []

    # reference side: records what it hands out
    def np_normal(self, loc=0.0, scale=1.0, size=None):
        z = self.rng.standard_normal(size)
        self.normals.append(z)
        return loc + scale * z

    def np_uniform(self, low=0.0, high=1.0, size=None):
        u = self.rng.random(size)
        self.uniforms.append(u)
        return low + (high - low) * u

    def np_randint(self, low, high=None, size=None):
        k = self.rng.integers(low, high, size=size)
        self.integers.append(k)
        return k

    def np_choice(self, a, size=None, replace=True, p=None):
        """Two-way np.random.choice as numpy draws it: a[0] where a uniform falls below p[0]."""
        assert len(a) == 2 and p is not None, "only the two-way weighted choice is replayed"
        u = self.rng.random(size)
        self.uniforms.append(u)
        return np.asarray(a)[(u >= p[0]).astype(np.intp)]

    # our side: replays them in order, per image of a batch of one
    def ops_normal(self, shape, generator, device, mean=0.0, std=1.0, dtype=torch.float32):
        z = torch.as_tensor(_take(self.normals, shape), dtype=dtype)
        return (z * std + mean).to(device)

    def ops_uniform(self, shape, generator, device, low=0.0, high=1.0, dtype=torch.float32):
        u = torch.as_tensor(_take(self.uniforms, shape), dtype=dtype)
        return (u * (high - low) + low).to(device)

    def ops_randint(self, low, high, shape, generator, device):
        return torch.as_tensor(_take(self.integers, shape), dtype=torch.int64).to(device)

    @contextlib.contextmanager
    def reference(self, monkeypatch):
        with monkeypatch.context() as m:
            m.setattr(np.random, "normal", self.np_normal)
            m.setattr(np.random, "uniform", self.np_uniform)
            m.setattr(np.random, "randint", self.np_randint)
            m.setattr(np.random, "choice", self.np_choice)
            yield

    @contextlib.contextmanager
    def ours(self, monkeypatch):
        from dscr.corrupt import ops

        with monkeypatch.context() as m:
            m.setattr(ops, "normal", self.ops_normal)
            m.setattr(ops, "uniform", self.ops_uniform)
            m.setattr(ops, "randint", self.ops_randint)
            yield

    def corrupt_both(self, monkeypatch, reference, suite, name: str, img: np.ndarray, severity: int):
        """One HWC image through ``reference(img)`` and through our ``suite`` with the same draws.

        Returns:
            (ours, ref) uint8 HWC images; afterwards every recorded draw should have been replayed.
        """
        with self.reference(monkeypatch):
            ref = reference(img)
        with self.ours(monkeypatch):
            ours = to_nhwc(suite.apply(name, to_nchw(img[None]), severity))[0]
        return ours, ref


# ------------------------------------------------------------------ checks shared by the generator tests
# ``reference(img, name, severity)`` is a generator module's ``corrupt`` (make_cifar_c, make_tinyimagenet_c).
def check_deterministic(suite, reference, name: str, images: np.ndarray, min_within_one: float = 0.99,
                        min_psnr: float = 45.0) -> None:
    """Image by image, at every severity: at least ``min_within_one`` of the values within one grey level,
    and a PSNR of at least ``min_psnr`` dB."""
    for severity in suite.severities:
        ours = to_nhwc(suite.apply(name, to_nchw(images), severity))
        ref = np.stack([reference(img, name, severity) for img in images])
        assert ref.dtype == np.uint8 and ref.shape == images.shape
        assert within_one(ours, ref) >= min_within_one, (severity, within_one(ours, ref))
        assert psnr(ours, ref) >= min_psnr, (severity, psnr(ours, ref))


def check_seeded_by_np_random(reference, name: str, image: np.ndarray) -> None:
    """np.random.seed fixes the reference's output, another seed changes it, and it corrupts the image."""
    def run(seed):
        np.random.seed(seed)
        return reference(image, name, 3)

    first = run(5)
    assert np.array_equal(first, run(5))
    assert not np.array_equal(first, run(6))
    assert not np.array_equal(first, image)


def check_shared_draws(suite, reference, name: str, images: np.ndarray, severity: int, monkeypatch,
                       min_within_one: float) -> None:
    """Image by image given the same random draws; both sides must use every draw."""
    for img in images:
        draws = SharedDraws(seed=severity)
        ours, ref = draws.corrupt_both(monkeypatch, lambda im: reference(im, name, severity), suite, name, img,
                                       severity)
        assert not (draws.normals or draws.uniforms or draws.integers), "both sides must use every draw"
        assert within_one(ours, ref) >= min_within_one, within_one(ours, ref)


def check_shot_noise_distribution(suite, reference, images: np.ndarray) -> None:
    """Poisson draws cannot be shared: mean and spread of the noise agree (0.3 level, 5 %)."""
    for severity in (1, 5):
        ours = to_nhwc(suite.apply("shot_noise", to_nchw(images), severity, torch.Generator().manual_seed(0)))
        np.random.seed(0)
        ref = np.stack([reference(img, "shot_noise", severity) for img in images])
        noise_ours = ours.astype(np.float64) - images
        noise_ref = ref.astype(np.float64) - images
        assert abs(noise_ours.mean() - noise_ref.mean()) < 0.3
        assert abs(noise_ours.std() - noise_ref.std()) < 0.05 * noise_ref.std()


def check_frost_brightness(suite, reference, images: np.ndarray) -> None:
    """Our frost texture is synthetic: the corrupted images' mean and spread agree with the photographs'
    (cropped as the generator crops them) within 6 %."""
    for severity in (1, 5):
        ours = to_nhwc(suite.apply("frost", to_nchw(images), severity, torch.Generator().manual_seed(0)))
        np.random.seed(0)
        ref = np.stack([reference(img, "frost", severity) for img in images])
        assert abs(ours.mean() - ref.mean()) < 0.06 * ref.mean(), (ours.mean(), ref.mean())
        assert abs(ours.std() - ref.std()) < 0.06 * ref.std(), (ours.std(), ref.std())
