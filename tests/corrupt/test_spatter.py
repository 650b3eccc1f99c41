"""Spatter's re-implemented OpenCV steps against OpenCV, its float32 liquid layer against float64, and its
batching. The whole corruption against the reference scripts is in test_fidelity.py / test_make_cifar_c.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dscr.corrupt import ops, spatter

cv2 = pytest.importorskip("cv2")

SIZES = [(32, 32), (48, 40), (100, 60), (3, 3), (2, 2), (1, 5), (5, 1), (1, 1)]
CIFAR_WATER = [(0.62, 0.1, 0.7, 0.7), (0.65, 0.1, 0.8, 0.7), (0.65, 0.3, 1.0, 0.69)]  # loc, scale, sigma, thr


def liquid_layers(n: int, h: int, w: int, seed: int, loc=0.65, scale=0.3, sigma=1.0, threshold=0.69) -> np.ndarray:
    """The 8-bit liquid layers spatter feeds to Canny (smoothed normal noise, zero below the threshold)."""
    z = torch.randn(n, 1, h, w, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    liquid = ops.gaussian_blur(z * scale + loc, sigma)
    liquid = torch.where(liquid < threshold, torch.zeros_like(liquid), liquid)
    return (liquid * 255).floor().clamp(0, 255)[:, 0].numpy().astype(np.uint8)


# ----------------------------------------------------------------------------------------------- Canny
@pytest.mark.parametrize("h, w", SIZES)
def test_canny_equals_opencv(h, w):
    rng = np.random.default_rng(h * 100 + w)
    images = np.concatenate([liquid_layers(6, h, w, seed=h + w), rng.integers(0, 256, (3, h, w)).astype(np.uint8),
                             (rng.integers(0, 2, (3, h, w)) * 200).astype(np.uint8)])
    ours = spatter.canny(torch.from_numpy(images)[:, None], 50, 150)[:, 0].numpy()
    ref = np.stack([cv2.Canny(img, 50, 150) > 0 for img in images])
    assert np.array_equal(ours, ref)


@pytest.mark.parametrize("low, high", [(50, 150), (150, 50), (20.7, 80.2), (0, 0), (-5, 3000), (100, 101)])
def test_canny_thresholds_as_opencv(low, high):
    """OpenCV floors the thresholds and swaps them when low > high."""
    images = liquid_layers(8, 40, 48, seed=3, scale=0.2, sigma=1.5)
    ours = spatter.canny(torch.from_numpy(images)[:, None].float(), low, high)[:, 0].numpy()
    ref = np.stack([cv2.Canny(img, low, high) > 0 for img in images])
    assert np.array_equal(ours, ref)


def test_canny_hysteresis_follows_long_weak_chains():
    """A 62-pixel weak edge hangs on one strong end: hysteresis must walk it (60 rounds), while the
    other images of the batch stop after one or two."""
    chain = np.zeros((24, 64), np.uint8)
    chain[12:, :] = 20      # magnitude 80: weak (between 50 and 150)
    chain[12:, :3] = 80     # magnitude 320 at the left end: strong
    isolated = chain.copy()
    isolated[12:, :3] = 20  # no strong pixel: the weak edge must vanish
    images = np.stack([chain, isolated] + list(liquid_layers(3, 24, 64, seed=4)))
    ours = spatter.canny(torch.from_numpy(images)[:, None], 50, 150)[:, 0].numpy()
    ref = np.stack([cv2.Canny(img, 50, 150) > 0 for img in images])
    assert ref[0, 11].sum() >= 60 and not ref[1].any()
    assert np.array_equal(ours, ref)


# ----------------------------------------------------------------------------------------------- distance
def opencv_fixed_point_distance(mask: np.ndarray) -> np.ndarray:
    """OpenCV (up to 4.x) distanceTransform(DIST_L2, 5) in its 16-bit fixed point, pixel by pixel."""
    hv, diag, knight = 65536, 91750, 143976
    far = 2 ** 32 - 1 - knight
    h, w = mask.shape
    t = np.full((h + 4, w + 4), far, dtype=np.int64)
    forward = [(-2, -1, knight), (-2, 1, knight), (-1, -2, knight), (-1, -1, diag), (-1, 0, hv), (-1, 1, diag),
               (-1, 2, knight), (0, -1, hv)]
    for i in range(2, h + 2):
        for j in range(2, w + 2):
            t[i, j] = 0 if not mask[i - 2, j - 2] else min(far, min(t[i + a, j + b] + c for a, b, c in forward))
    for i in range(h + 1, 1, -1):
        for j in range(w + 1, 1, -1):
            t[i, j] = min([t[i, j]] + [t[i - a, j - b] + c for a, b, c in forward])
    return t[2:-2, 2:-2]


def random_masks(h: int, w: int, seed: int) -> np.ndarray:
    """Masks (True = not zero) of several densities, one without any zero and one with a single zero."""
    rng = np.random.default_rng(seed)
    masks = [rng.random((h, w)) > p for p in (0.02, 0.1, 0.5)]
    single = np.ones((h, w), bool)
    single[rng.integers(h), rng.integers(w)] = False
    return np.stack(masks + [np.ones((h, w), bool), single])


@pytest.mark.parametrize("h, w", SIZES[1:])
def test_chamfer_distance_equals_opencv_fixed_point_passes(h, w):
    masks = random_masks(h, w, seed=h * w)
    ref = np.stack([opencv_fixed_point_distance(m) for m in masks])
    ours = spatter.chamfer_distance_fixed(torch.from_numpy(masks)[:, None])[:, 0].numpy()
    assert np.array_equal(ours, ref)
    limit = 3 * 65536 + 5  # the cap truncates exactly
    capped = spatter.chamfer_distance_fixed(torch.from_numpy(masks)[:, None], limit)[:, 0].numpy()
    assert np.array_equal(capped, np.minimum(ref, limit))


@pytest.mark.parametrize("h, w", [(32, 32), (48, 40), (7, 100)])
def test_distance_to_zero_agrees_with_opencv(h, w):
    """OpenCV 5 runs the passes in float32 with 1.4 for 91750 / 65536: within 1e-5 of the distance. An
    image without zero keeps OpenCV 4's ceiling (OpenCV 5 writes FLT_MAX there)."""
    masks = random_masks(h, w, seed=7)
    ours = spatter.distance_to_zero(torch.from_numpy(masks)[:, None])[:, 0].numpy()
    for mask, d in zip(masks, ours):
        ref = cv2.distanceTransform(mask.astype(np.uint8) * 255, cv2.DIST_L2, 5)
        if mask.all():
            assert np.all(d == np.float32(2 ** 32 - 1 - 143976) / 65536)
        else:
            assert np.all(np.abs(d - ref) <= 1e-5 * ref)
    capped = spatter.distance_to_zero(torch.from_numpy(masks)[:, None], cap=20.0)[:, 0].numpy()
    assert np.array_equal(capped, np.minimum(ours, 20.0))


# ----------------------------------------------------------------------------------------------- 8-bit steps
def test_equalize_hist_equals_opencv():
    rng = np.random.default_rng(5)
    images = np.stack([rng.integers(0, 256, (40, 48)), rng.integers(0, 21, (40, 48)), np.full((40, 48), 7),
                       rng.integers(0, 2, (40, 48)) * 255, rng.binomial(255, 0.8, (40, 48))]).astype(np.uint8)
    ours = spatter.equalize_hist(torch.from_numpy(images)[:, None].short())[:, 0].numpy()
    ref = np.stack([cv2.equalizeHist(img) for img in images])
    assert np.array_equal(ours, ref)


@pytest.mark.parametrize("h, w", [(32, 32), (48, 40), (2, 2), (1, 5)])
def test_texture_equals_opencv_chain(h, w):
    """From the distances on: blur + uint8 cast, equalizeHist, filter2D(emboss) and blur, as the script."""
    edges = spatter.canny(torch.from_numpy(liquid_layers(6, h, w, seed=6))[:, None], 50, 150)
    dist = spatter.chamfer_distance_fixed(~edges, limit=20 << 16)
    ours = spatter._texture(dist)[:, 0].numpy()
    emboss = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
    for d, texture in zip((dist[:, 0].numpy() / 65536).astype(np.float32), ours):
        ref = cv2.equalizeHist(cv2.blur(d, (3, 3)).astype(np.uint8))
        ref = cv2.blur(cv2.filter2D(ref, cv2.CV_8U, emboss), (3, 3))
        assert np.array_equal(texture, ref)


# ----------------------------------------------------------------------------------------------- liquid layer
def float64_levels(z: torch.Tensor, loc: float, scale: float, sigma: float, threshold: float):
    liquid = ops.gaussian_blur(z.double() * scale + loc, sigma)
    levels = torch.where(liquid >= threshold, (liquid * 255).floor().clamp(0, 255), torch.zeros_like(liquid))
    return levels.float(), (liquid > threshold).float()


@pytest.mark.parametrize("loc, scale, sigma, threshold", CIFAR_WATER + [(0.65, 0.3, 4.0, 0.69)])
def test_liquid_layer_decisions_equal_float64(loc, scale, sigma, threshold):
    z = torch.randn(6, 1, 40, 48, generator=torch.Generator().manual_seed(8))
    levels, wet = float64_levels(z, loc, scale, sigma, threshold)
    assert torch.equal(spatter._liquid8(z, loc, scale, sigma, threshold), levels)
    assert torch.equal(spatter._wet(z, loc, scale, sigma, threshold), wet)


def test_liquid_layer_redoes_every_decision_within_the_bound(monkeypatch):
    """Float32 errors up to the bound (here: pushed to 0.9 of it, towards the nearest integer level or
    threshold) change a float32-only answer, but not the result."""
    loc, scale, sigma, threshold = 0.65, 0.3, 1.0, 0.69
    z = torch.randn(256, 1, 32, 32, generator=torch.Generator().manual_seed(9))
    levels, wet = float64_levels(z, loc, scale, sigma, threshold)
    honest = spatter._liquid_layer

    def worst_case(*args):
        liquid, bound = honest(*args)
        nearest = torch.where((liquid - threshold).abs() < 0.01, torch.full_like(liquid, threshold),
                              (liquid * 255).round() / 255)
        return liquid + 0.9 * bound * torch.sign(nearest - liquid), bound

    monkeypatch.setattr(spatter, "_liquid_layer", worst_case)
    pushed, _ = worst_case(z, loc, scale, sigma)
    float32_only = torch.where(pushed >= threshold, (pushed * 255).floor().clamp(0, 255), torch.zeros_like(pushed))
    assert not torch.equal(float32_only, levels) and not torch.equal((pushed > threshold).float(), wet)
    assert torch.equal(spatter._liquid8(z, loc, scale, sigma, threshold), levels)
    assert torch.equal(spatter._wet(z, loc, scale, sigma, threshold), wet)


# ----------------------------------------------------------------------------------------------- whole corruption
@pytest.mark.parametrize("mud", [False, True])
def test_spatter_does_not_depend_on_the_batching(monkeypatch, mud):
    x = torch.rand(5, 3, 20, 24, generator=torch.Generator().manual_seed(10))
    params = dict(loc=0.65, scale=0.3, sigma=1.0, threshold=0.69, intensity=0.6, mud=mud)
    whole = spatter.spatter(x, torch.Generator().manual_seed(1), **params)
    monkeypatch.setattr(spatter, "_batches", lambda t: t.split(2))
    split = spatter.spatter(x, torch.Generator().manual_seed(1), **params)
    assert torch.equal(whole, split)
    assert not torch.equal(whole, x) and whole.min() >= 0 and whole.max() <= 1


@pytest.mark.parametrize("h, w", [(1, 1), (2, 3), (5, 1)])
def test_spatter_runs_on_tiny_images(h, w):
    x = torch.rand(2, 3, h, w, generator=torch.Generator().manual_seed(11))
    for mud in (False, True):
        y = spatter.spatter(x, torch.Generator().manual_seed(0), 0.65, 0.3, 1.0, 0.69, 0.6, mud)
        assert y.shape == x.shape and torch.isfinite(y).all()
