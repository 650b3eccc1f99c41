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
from corrupt_reference import SharedDraws, smooth_images, to_nchw, to_nhwc, within_one

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
    for severity in suite.severities:
        ours = to_nhwc(suite.apply(name, to_nchw(images), severity))
        ref = np.stack([make_cifar_c.corrupt(img, name, severity) for img in images])
        assert ref.dtype == np.uint8 and ref.shape == images.shape
        assert within_one(ours, ref) >= 0.99, (severity, within_one(ours, ref))


@pytest.mark.parametrize("name", RANDOM)
def test_random_corruptions_are_seeded_by_np_random_seed(images, name):
    def run(seed):
        np.random.seed(seed)
        return make_cifar_c.corrupt(images[0], name, 3)

    first = run(5)
    assert np.array_equal(first, run(5))
    assert not np.array_equal(first, run(6))
    assert not np.array_equal(first, images[0])


# Image by image given the same draws, the share of values within one grey level. The OpenCV chain of spatter
# and the two bilinear resamplings of elastic allow a few pixels more, as in test_fidelity.py.
SHARED = {"gaussian_noise": 0.99, "speckle_noise": 0.99, "impulse_noise": 0.99, "glass_blur": 0.99,
          "fog": 0.99, "motion_blur": 0.99, "snow": 0.99, "spatter": 0.97, "elastic_transform": 0.97}


@pytest.mark.parametrize("severity", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("name", list(SHARED))
def test_random_corruptions_agree_given_the_same_draws(suite, images, monkeypatch, name, severity):
    for img in images:
        draws = SharedDraws(seed=severity)
        ours, ref = draws.corrupt_both(monkeypatch, lambda im: make_cifar_c.corrupt(im, name, severity), suite, name,
                                       img, severity)
        assert not (draws.normals or draws.uniforms or draws.integers), "both sides must use every draw"
        assert within_one(ours, ref) >= SHARED[name], within_one(ours, ref)


def test_glass_blur_walk_replays_the_reference_loop():
    """The reference's tuple swaps, run on pixel indices, are our engine's permutation for the same offsets."""
    from dscr.corrupt import blur

    for delta, iterations in [(1, 1), (1, 2), (2, 1)]:
        img = np.arange(12 * 10)[:, None].repeat(3, 1).reshape(12, 10, 3)  # pixel index in every channel
        np.random.seed(delta * 10 + iterations)
        make_cifar_c.shuffle_locally(img, delta, iterations)
        np.random.seed(delta * 10 + iterations)
        steps = iterations * (12 - 2 * delta) * (10 - 2 * delta)
        offsets = torch.from_numpy(np.stack([np.random.randint(-delta, delta, size=(2,)) for _ in range(steps)]))
        with pytest.MonkeyPatch.context() as m:
            m.setattr(blur.ops, "randint", lambda low, high, shape, generator, device: offsets.view(shape))
            perm = blur.glass_permutation(1, 12, 10, delta, iterations, torch.Generator())
        assert np.array_equal(img[..., 0].reshape(-1), perm[0].numpy())


def test_shot_noise_agrees_in_distribution(suite):
    """Poisson draws differ between numpy and torch: compare mean and spread of the noise over 8 images."""
    images = smooth_images(8, 32, 32, seed=12)
    for severity in (1, 5):
        ours = to_nhwc(suite.apply("shot_noise", to_nchw(images), severity, torch.Generator().manual_seed(0)))
        np.random.seed(0)
        ref = np.stack([make_cifar_c.corrupt(img, "shot_noise", severity) for img in images])
        noise_ours = ours.astype(np.float64) - images
        noise_ref = ref.astype(np.float64) - images
        assert abs(noise_ours.mean() - noise_ref.mean()) < 0.3
        assert abs(noise_ours.std() - noise_ref.std()) < 0.05 * noise_ref.std()


def test_procedural_frost_matches_the_photographs_in_brightness(suite):
    """Our frost texture is synthetic: the corrupted images' mean and spread agree with the photographs'
    (cropped as the script crops them) within 6 % over 48 images."""
    images = smooth_images(48, 32, 32, seed=13)
    for severity in (1, 5):
        ours = to_nhwc(suite.apply("frost", to_nchw(images), severity, torch.Generator().manual_seed(0)))
        np.random.seed(0)
        ref = np.stack([make_cifar_c.corrupt(img, "frost", severity) for img in images])
        assert abs(ours.mean() - ref.mean()) < 0.06 * ref.mean(), (ours.mean(), ref.mean())
        assert abs(ours.std() - ref.std()) < 0.06 * ref.std(), (ours.std(), ref.std())


def test_rejects_other_sizes():
    with pytest.raises(ValueError, match="32, 32, 3"):
        make_cifar_c.corrupt(np.zeros((28, 28, 3), np.uint8), "fog", 1)
