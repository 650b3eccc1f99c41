"""The make_cifar_c.py reference against our cifar10-c suite, and the reference's own seeding.

Deterministic corruptions are compared image by image; random ones image by image given the same random
draws (`SharedDraws` records what the reference draws from np.random and replays it into dscr.corrupt.ops),
or in distribution where the two sides cannot share draws (Poisson noise).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dscr import corrupt

import make_cifar_c
from corrupt_reference import (check_deterministic, check_frost_brightness, check_seeded_by_np_random,
                               check_shared_draws, check_shot_noise_distribution, smooth_images)

RANDOM = [name for name in make_cifar_c.CORRUPTIONS if name not in make_cifar_c.DETERMINISTIC]


@pytest.fixture(scope="module")
def images():
    return smooth_images(2, 32, 32, seed=11)


@pytest.fixture(scope="module")
def suite():
    return corrupt.get_suite("cifar10-c")


def test_reference_covers_the_suite(suite):
    assert list(make_cifar_c.CORRUPTIONS) == suite.corruptions


@pytest.mark.parametrize("name", make_cifar_c.DETERMINISTIC)
def test_deterministic_corruptions_agree_with_our_suite(suite, images, name):
    check_deterministic(suite, make_cifar_c.corrupt, name, images)


@pytest.mark.parametrize("name", RANDOM)
def test_random_corruptions_are_seeded_by_np_random_seed(images, name):
    check_seeded_by_np_random(make_cifar_c.corrupt, name, images[0])


# Image by image given the same draws, the share of values within one grey level. The OpenCV chain of spatter
# and the two bilinear resamplings of elastic allow a few pixels more, as in test_fidelity.py.
SHARED = {"gaussian_noise": 0.99, "speckle_noise": 0.99, "impulse_noise": 0.99, "glass_blur": 0.99,
          "fog": 0.99, "motion_blur": 0.99, "snow": 0.99, "spatter": 0.97, "elastic_transform": 0.97}


@pytest.mark.parametrize("severity", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("name", list(SHARED))
def test_random_corruptions_agree_given_the_same_draws(suite, images, monkeypatch, name, severity):
    check_shared_draws(suite, make_cifar_c.corrupt, name, images, severity, monkeypatch, SHARED[name])


def test_glass_blur_walk_replays_the_reference_loop():
    """The reference's tuple swaps, run on pixel indices with the offsets our generator drew for each image of
    a batch, give our engine's permutation (delta 1: one gather per pass; delta 2: the step-by-step replay)."""
    from dscr.corrupt import blur

    n, h, w = 3, 12, 10
    for delta, iterations in [(1, 1), (1, 2), (2, 1)]:
        seed = delta * 10 + iterations
        perm = blur.glass_permutation(n, h, w, delta, iterations, torch.Generator().manual_seed(seed))
        steps = iterations * (h - 2 * delta) * (w - 2 * delta)
        offsets = torch.randint(-delta, delta, (steps, 2, n), generator=torch.Generator().manual_seed(seed))
        for i in range(n):
            img = np.arange(h * w)[:, None].repeat(3, 1).reshape(h, w, 3)  # pixel index in every channel
            draws = iter(offsets[:, :, i].numpy())
            with pytest.MonkeyPatch.context() as m:
                m.setattr(np.random, "randint", lambda low, high, size=None: next(draws))
                make_cifar_c.shuffle_locally(img, delta, iterations)
            assert np.array_equal(img[..., 0].reshape(-1), perm[i].numpy()), (delta, iterations, i)


def test_shot_noise_agrees_in_distribution(suite):
    check_shot_noise_distribution(suite, make_cifar_c.corrupt, smooth_images(8, 32, 32, seed=12))


def test_procedural_frost_matches_the_photographs_in_brightness(suite):
    check_frost_brightness(suite, make_cifar_c.corrupt, smooth_images(48, 32, 32, seed=13))


def test_rejects_other_sizes():
    with pytest.raises(ValueError, match="32, 32, 3"):
        make_cifar_c.corrupt(np.zeros((28, 28, 3), np.uint8), "fog", 1)
