"""Tiny-ImageNet-C constants (64 px)."""

import numpy as np

from . import per_severity, rows
from .cifar import SNOW, SPATTER

SOURCE = "hendrycks/robustness ImageNet-C/create_c/make_tinyimagenet_c.py"

TABLE = {
    "gaussian_noise": per_severity(sigma=(0.04, 0.08, 0.12, 0.15, 0.18)),
    "shot_noise": per_severity(photons=(250, 100, 50, 30, 15)),
    "impulse_noise": per_severity(amount=(0.01, 0.02, 0.05, 0.08, 0.14)),
    "defocus_blur": rows(("radius", "alias_blur"), [(0.5, 0.6), (1, 0.1), (1.5, 0.1), (2.5, 0.01), (3, 0.1)]),
    "glass_blur": rows(("sigma", "delta", "iterations"),
                       [(0.1, 1, 1), (0.5, 1, 1), (0.6, 1, 2), (0.7, 2, 1), (0.9, 2, 2)]),
    "motion_blur": rows(("radius", "sigma"), [(10, 1), (10, 1.5), (10, 2), (10, 2.5), (12, 3)]),
    "zoom_blur": per_severity(zooms=tuple(tuple(np.arange(1, stop, 0.01).tolist())
                                          for stop in (1.06, 1.11, 1.16, 1.21, 1.26))),
    "snow": rows(SNOW, [(0.1, 0.2, 1, 0.6, 8, 3, 0.8), (0.1, 0.2, 1, 0.5, 10, 4, 0.8),
                        (0.15, 0.3, 1.75, 0.55, 10, 4, 0.7), (0.25, 0.3, 2.25, 0.6, 12, 6, 0.65),
                        (0.3, 0.3, 1.25, 0.65, 14, 12, 0.6)]),
    "frost": [dict(image_weight=a, frost_weight=b, texture_scale=0.3)
              for a, b in [(1, 0.3), (0.9, 0.4), (0.8, 0.45), (0.75, 0.5), (0.7, 0.55)]],
    "fog": rows(("thickness", "decay"), [(0.4, 3), (0.7, 3), (1, 2.5), (1.5, 2), (2, 1.75)]),
    "brightness": per_severity(shift=(0.1, 0.2, 0.3, 0.4, 0.5)),
    "contrast": per_severity(factor=(0.4, 0.3, 0.2, 0.1, 0.05)),
    "elastic_transform": [dict(alpha=64 * a, sigma=64 * s, affine=64 * f)
                          for a, s, f in [(0, 0, 0.08), (0.05, 0.3, 0.06), (0.1, 0.08, 0.06), (0.1, 0.03, 0.03),
                                          (0.16, 0.03, 0.02)]],
    "pixelate": per_severity(factor=(0.9, 0.8, 0.7, 0.6, 0.5)),
    "jpeg_compression": per_severity(quality=(65, 58, 50, 40, 25)),
    "speckle_noise": per_severity(sigma=(0.15, 0.2, 0.25, 0.3, 0.35)),
    "gaussian_blur": per_severity(sigma=(0.5, 0.75, 1, 1.25, 1.5)),
    "spatter": rows(SPATTER, [(0.62, 0.1, 0.7, 0.7, 0.6, 0), (0.65, 0.1, 0.8, 0.7, 0.6, 0),
                              (0.65, 0.3, 1, 0.69, 0.6, 0), (0.65, 0.1, 0.7, 0.68, 0.6, 1),
                              (0.65, 0.1, 0.5, 0.67, 0.6, 1)]),
    "saturate": rows(("scale", "offset"), [(0.3, 0), (0.1, 0), (2, 0), (5, 0.1), (30, 0.2)]),
}
