"""Fidelity of the engine against reference implementations, corruption by corruption and severity by severity.

The CIFAR and Tiny suites are compared with their generators in test_make_cifar_c.py and
test_make_tinyimagenet_c.py; this file compares voc-c with imagecorruptions. Deterministic corruptions are
compared image by image; random ones either with the same random draws fed
to both sides (`SharedDraws`) or, where the reference's randomness cannot be replayed, in distribution.
The measured figures are in docs/corruptions.md.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dscr import corrupt

from corrupt_reference import SharedDraws, psnr, smooth_images, to_nchw, to_nhwc, within_one

imagecorruptions = pytest.importorskip("imagecorruptions")

DETERMINISTIC = ["gaussian_blur", "defocus_blur", "contrast", "brightness", "saturate", "jpeg_compression",
                 "pixelate", "zoom_blur"]
SEVERITIES = [1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def voc_images():
    return smooth_images(2, 48, 40, seed=2)


def assert_close(ours: np.ndarray, ref: np.ndarray, min_within_one: float = 0.99, min_psnr: float = 45.0):
    assert ours.shape == ref.shape and ours.dtype == ref.dtype == np.uint8
    assert within_one(ours, ref) >= min_within_one, f"within 1 grey level: {within_one(ours, ref):.4f}"
    assert psnr(ours, ref) >= min_psnr, f"PSNR {psnr(ours, ref):.1f} dB"


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("name", DETERMINISTIC)
def test_imagecorruptions_deterministic(voc_images, name, severity):
    suite = corrupt.get_suite("voc-c")
    ours = to_nhwc(suite.apply(name, to_nchw(voc_images), severity))
    ref = np.stack([imagecorruptions.corrupt(img, severity, name) for img in voc_images])
    assert_close(ours, ref)


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("name", ["motion_blur", "snow", "fog", "spatter", "elastic_transform"])
def test_imagecorruptions_with_shared_draws(voc_images, monkeypatch, name, severity):
    """Random corruptions given the same random numbers as the reference (one image at a time)."""
    suite = corrupt.get_suite("voc-c")
    for img in voc_images:
        ours, ref = SharedDraws(seed=severity).corrupt_both(
            monkeypatch, lambda im: imagecorruptions.corrupt(im, severity, name), suite, name, img, severity)
        # spatter's water mask goes through Canny / distance transform / equalizeHist, elastic through two
        # bilinear resamplings: a few pixels may differ by more than one level there.
        loose = name in ("spatter", "elastic_transform")
        assert_close(ours, ref, min_within_one=0.97 if loose else 0.99, min_psnr=30.0 if loose else 40.0)


def _noise_stats(clean: np.ndarray, noisy: np.ndarray) -> tuple[float, float]:
    diff = noisy.astype(np.float64) - clean.astype(np.float64)
    return float(diff.mean()), float(diff.std())


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("name", ["gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "glass_blur"])
def test_random_corruptions_match_in_distribution(name, severity, monkeypatch):
    """Mean and spread of (corrupted - clean) agree with imagecorruptions over 8 images."""
    import skimage.util

    images = smooth_images(8, 32, 32, seed=3)
    suite = corrupt.get_suite("voc-c")
    ours = to_nhwc(suite.apply(name, to_nchw(images), severity, torch.Generator().manual_seed(0)))
    np.random.seed(0)
    # skimage's random_noise (impulse noise) draws from its own unseeded generator: seed it, or the test flakes
    rng = np.random.default_rng(0)
    random_noise = skimage.util.random_noise
    monkeypatch.setattr(skimage.util, "random_noise",
                        lambda image, mode, seed=None, **kw: random_noise(image, mode, rng, **kw))
    ref = np.stack([imagecorruptions.corrupt(img, severity, name) for img in images])
    (m_o, s_o), (m_r, s_r) = _noise_stats(images, ours), _noise_stats(images, ref)
    assert abs(m_o - m_r) < 0.6 + 0.05 * s_r, (m_o, m_r)
    assert abs(s_o - s_r) < 0.05 * s_r + 0.3, (s_o, s_r)


@pytest.mark.parametrize("severity", SEVERITIES)
def test_frost_matches_reference_brightness(severity):
    """Procedural frost: the mean and spread of the corrupted images agree with the photographs' within 12 %."""
    images = smooth_images(24, 32, 32, seed=4)
    suite = corrupt.get_suite("voc-c")
    ours = to_nhwc(suite.apply("frost", to_nchw(images), severity, torch.Generator().manual_seed(0)))
    np.random.seed(0)
    ref = np.stack([imagecorruptions.corrupt(img, severity, "frost") for img in images])
    assert abs(ours.mean() - ref.mean()) < 0.12 * ref.mean()
    assert abs(ours.std() - ref.std()) < 0.12 * ref.std()
