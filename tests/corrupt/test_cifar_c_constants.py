"""CIFAR-10-C and CIFAR-100-C constants against an independent transcription of the published generator.

SCRIPT holds each corruption's per-severity constant `c` as printed in hendrycks/robustness
ImageNet-C/create_c/make_cifar_c.py (commit ca36008), named by the role the script gives each position; the
suites' registered parameters must hold exactly these values under these names.
"""

from __future__ import annotations

import numpy as np
import pytest

from dscr import corrupt

IMSIZE = 32  # elastic_transform's constants are fractions of the image size
SCRIPT = {
    "gaussian_noise": (("sigma",), [.04, .06, .08, .09, .10]),
    "shot_noise": (("photons",), [500, 250, 100, 75, 50]),
    "impulse_noise": (("amount",), [.01, .02, .03, .05, .07]),
    "speckle_noise": (("sigma",), [.06, .1, .12, .16, .2]),
    "gaussian_blur": (("sigma",), [.4, .6, 0.7, .8, 1]),
    "glass_blur": (("sigma", "delta", "iterations"), [(0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2),
                                                      (0.4, 1, 2)]),
    "defocus_blur": (("radius", "alias_blur"), [(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)]),
    "motion_blur": (("radius", "sigma"), [(6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)]),
    "zoom_blur": (("zooms",), [np.arange(1, 1.06, 0.01), np.arange(1, 1.11, 0.01), np.arange(1, 1.16, 0.01),
                               np.arange(1, 1.21, 0.01), np.arange(1, 1.26, 0.01)]),
    "fog": (("thickness", "decay"), [(.2, 3), (.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)]),
    # frost: c = (image weight, frost weight); the texture photographs are resized by fx = fy = 0.2
    "frost": (("image_weight", "frost_weight", "texture_scale"), [(1, 0.2, 0.2), (1, 0.3, 0.2), (0.9, 0.4, 0.2),
                                                                 (0.85, 0.4, 0.2), (0.75, 0.45, 0.2)]),
    "snow": (("loc", "scale", "zoom", "threshold", "radius", "blur_sigma", "blend"),
             [(0.1, 0.2, 1, 0.6, 8, 3, 0.95), (0.1, 0.2, 1, 0.5, 10, 4, 0.9), (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
              (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85), (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8)]),
    "spatter": (("loc", "scale", "sigma", "threshold", "intensity", "mud"),
                [(0.62, 0.1, 0.7, 0.7, 0.5, 0), (0.65, 0.1, 0.8, 0.7, 0.5, 0), (0.65, 0.3, 1, 0.69, 0.5, 0),
                 (0.65, 0.1, 0.7, 0.69, 0.6, 1), (0.65, 0.1, 0.5, 0.68, 0.6, 1)]),
    "contrast": (("factor",), [.75, .5, .4, .3, 0.15]),
    "brightness": (("shift",), [.05, .1, .15, .2, .3]),
    "saturate": (("scale", "offset"), [(0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2)]),
    "jpeg_compression": (("quality",), [80, 65, 58, 50, 40]),
    "pixelate": (("factor",), [0.95, 0.9, 0.85, 0.75, 0.65]),
    "elastic_transform": (("alpha", "sigma", "affine"),
                          [(IMSIZE * 0, IMSIZE * 0, IMSIZE * 0.08), (IMSIZE * 0.05, IMSIZE * 0.2, IMSIZE * 0.07),
                           (IMSIZE * 0.08, IMSIZE * 0.06, IMSIZE * 0.06), (IMSIZE * 0.1, IMSIZE * 0.04, IMSIZE * 0.05),
                           (IMSIZE * 0.1, IMSIZE * 0.03, IMSIZE * 0.03)]),
}


@pytest.mark.parametrize("suite_name", ["cifar10-c", "cifar100-c"])
def test_suite_lists_the_scripts_19_corruptions(suite_name):
    suite = corrupt.get_suite(suite_name)
    assert sorted(suite.corruptions) == sorted(SCRIPT) and suite.severities == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("suite_name", ["cifar10-c", "cifar100-c"])
@pytest.mark.parametrize("name", list(SCRIPT))
def test_constants_equal_the_script(suite_name, name):
    keys, per_severity = SCRIPT[name]
    params = corrupt.get_suite(suite_name).corruption(name).params
    assert len(params) == 5
    for severity, (ours, script) in enumerate(zip(params, per_severity), start=1):
        script = (script,) if len(keys) == 1 else script
        assert set(ours) == set(keys), (name, severity)
        for key, value in zip(keys, script):
            assert np.array_equal(np.asarray(ours[key]), np.asarray(value)), (name, severity, key)
