"""The make_tinyimagenet_c.py reference against our tinyimagenet-c suite, its constants and its seeding.

Deterministic corruptions are compared image by image; random ones image by image given the same random
draws (`SharedDraws` records what the reference draws from np.random and replays it into dscr.corrupt.ops),
or in distribution where the two sides cannot share draws (Poisson noise, procedural frost).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from dscr import corrupt
from dscr.corrupt.tables import tiny as tiny_table

import make_tinyimagenet_c
from corrupt_reference import (check_deterministic, check_frost_brightness, check_seeded_by_np_random,
                               check_shared_draws, check_shot_noise_distribution, smooth_images, to_nchw, to_nhwc)

# The per-severity constants `c` as printed in hendrycks/robustness make_tinyimagenet_c.py, in the order of
# the table's keyword names (tuples: one column per name). Frost's 0.3 is the script's resize factor,
# elastic's are fractions of IMSIZE = 64.
SCRIPT_CONSTANTS = {
    "gaussian_noise": [0.04, 0.08, .12, .15, .18],
    "shot_noise": [250, 100, 50, 30, 15],
    "impulse_noise": [.01, .02, .05, .08, .14],
    "defocus_blur": [(0.5, 0.6), (1, 0.1), (1.5, 0.1), (2.5, 0.01), (3, 0.1)],
    "glass_blur": [(0.1, 1, 1), (0.5, 1, 1), (0.6, 1, 2), (0.7, 2, 1), (0.9, 2, 2)],
    "motion_blur": [(10, 1), (10, 1.5), (10, 2), (10, 2.5), (12, 3)],
    "zoom_blur": [np.arange(1, 1.06, 0.01), np.arange(1, 1.11, 0.01), np.arange(1, 1.16, 0.01),
                  np.arange(1, 1.21, 0.01), np.arange(1, 1.26, 0.01)],
    "snow": [(0.1, 0.2, 1, 0.6, 8, 3, 0.8), (0.1, 0.2, 1, 0.5, 10, 4, 0.8), (0.15, 0.3, 1.75, 0.55, 10, 4, 0.7),
             (0.25, 0.3, 2.25, 0.6, 12, 6, 0.65), (0.3, 0.3, 1.25, 0.65, 14, 12, 0.6)],
    "frost": [(1, 0.3, 0.3), (0.9, 0.4, 0.3), (0.8, 0.45, 0.3), (0.75, 0.5, 0.3), (0.7, 0.55, 0.3)],
    "fog": [(.4, 3), (.7, 3), (1, 2.5), (1.5, 2), (2, 1.75)],
    "brightness": [.1, .2, .3, .4, .5],
    "contrast": [.4, .3, .2, .1, 0.05],
    "elastic_transform": [(64 * 0, 64 * 0, 64 * 0.08), (64 * 0.05, 64 * 0.3, 64 * 0.06),
                          (64 * 0.1, 64 * 0.08, 64 * 0.06), (64 * 0.1, 64 * 0.03, 64 * 0.03),
                          (64 * 0.16, 64 * 0.03, 64 * 0.02)],
    "pixelate": [0.9, 0.8, 0.7, 0.6, 0.5],
    "jpeg_compression": [65, 58, 50, 40, 25],
}

RANDOM = [name for name in make_tinyimagenet_c.CORRUPTIONS if name not in make_tinyimagenet_c.DETERMINISTIC]


@pytest.fixture(scope="module")
def images():
    return smooth_images(2, 64, 64, seed=11)


@pytest.fixture(scope="module")
def suite():
    """Our tinyimagenet-c without its final quality-85 JPEG save, to compare with the generator's corruption
    step by step (a one-level difference before JPEG can become a few levels after it); the save itself is
    tested on its own below."""
    return dataclasses.replace(corrupt.get_suite("tinyimagenet-c"), saved_jpeg_quality=None)


def test_reference_covers_the_suite(suite):
    assert list(make_tinyimagenet_c.CORRUPTIONS) == suite.corruptions
    assert set(SCRIPT_CONSTANTS) == set(suite.corruptions)


@pytest.mark.parametrize("name", list(SCRIPT_CONSTANTS))
def test_table_holds_the_script_constants(name):
    for row, script_row in zip(tiny_table.TABLE[name], SCRIPT_CONSTANTS[name], strict=True):
        script_row = [script_row] if np.ndim(script_row) == 0 or name == "zoom_blur" else script_row
        for value, script_value in zip(row.values(), script_row, strict=True):
            assert np.array_equal(np.asarray(value), np.asarray(script_value)), (name, row, script_row)


@pytest.mark.parametrize("name", make_tinyimagenet_c.DETERMINISTIC)
def test_deterministic_corruptions_agree_with_our_suite(suite, images, name):
    check_deterministic(suite, make_tinyimagenet_c.corrupt, name, images)


@pytest.mark.parametrize("name", RANDOM)
def test_random_corruptions_are_seeded_by_np_random_seed(images, name):
    check_seeded_by_np_random(make_tinyimagenet_c.corrupt, name, images[0])


# Image by image given the same draws, the share of values within one grey level; elastic's two bilinear
# resamplings allow a few pixels more, as in test_make_cifar_c.py.
SHARED = {"gaussian_noise": 0.99, "impulse_noise": 0.99, "glass_blur": 0.99, "motion_blur": 0.99, "snow": 0.99,
          "fog": 0.99, "elastic_transform": 0.97}


def test_shared_draws_cover_the_random_corruptions():
    assert set(SHARED) | {"shot_noise", "frost"} == set(RANDOM)


@pytest.mark.parametrize("severity", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("name", list(SHARED))
def test_random_corruptions_agree_given_the_same_draws(suite, images, monkeypatch, name, severity):
    check_shared_draws(suite, make_tinyimagenet_c.corrupt, name, images, severity, monkeypatch, SHARED[name])


def test_shot_noise_agrees_in_distribution(suite):
    check_shot_noise_distribution(suite, make_tinyimagenet_c.corrupt, smooth_images(8, 64, 64, seed=12))


def test_procedural_frost_matches_the_photographs_in_brightness(suite):
    check_frost_brightness(suite, make_tinyimagenet_c.corrupt, smooth_images(48, 64, 64, seed=13))


def test_published_files_add_a_quality_85_jpeg(images):
    """The script saves to ImageNet's .JPEG names at quality 85 (optimize=True only shrinks the Huffman
    tables): the decoded file is libjpeg's quality 85, not its 80 or 90."""
    from torchvision.io import decode_jpeg, encode_jpeg

    def libjpeg(quality):
        return to_nhwc(decode_jpeg(encode_jpeg(to_nchw(images[:1])[0], quality=quality))[None])[0]

    saved = make_tinyimagenet_c.as_published(images[0])
    assert np.array_equal(saved, libjpeg(85))
    assert not np.array_equal(saved, libjpeg(80)) and not np.array_equal(saved, libjpeg(90))


def test_suite_ends_with_the_published_quality_85_save(images):
    """Our tinyimagenet-c output is the unsaved corruption encoded as the script saved it (PIL, quality 85)."""
    saved = corrupt.get_suite("tinyimagenet-c")
    assert saved.saved_jpeg_quality == 85 and corrupt.get_suite("imagenet-c").saved_jpeg_quality == 85
    unsaved = dataclasses.replace(saved, saved_jpeg_quality=None)
    for name in ("fog", "contrast"):
        before = to_nhwc(unsaved.apply(name, to_nchw(images), 3, torch.Generator().manual_seed(1)))
        after = to_nhwc(saved.apply(name, to_nchw(images), 3, torch.Generator().manual_seed(1)))
        assert not np.array_equal(before, after)
        assert np.array_equal(after, np.stack([make_tinyimagenet_c.as_published(img) for img in before]))


def test_rejects_other_sizes():
    with pytest.raises(ValueError, match="64, 64, 3"):
        make_tinyimagenet_c.corrupt(np.zeros((32, 32, 3), np.uint8), "fog", 1)
