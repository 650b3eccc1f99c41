"""CIFAR-10-C / CIFAR-100-C constants (32 px)."""

import numpy as np

from . import per_severity, rows

SOURCE = "hendrycks/robustness ImageNet-C/create_c/make_cifar_c.py"

SNOW = ("loc", "scale", "zoom", "threshold", "radius", "blur_sigma", "blend")
SPATTER = ("loc", "scale", "sigma", "threshold", "intensity", "mud")

TABLE = {
    "gaussian_noise": per_severity(sigma=(0.04, 0.06, 0.08, 0.09, 0.10)),
    "shot_noise": per_severity(photons=(500, 250, 100, 75, 50)),
    "impulse_noise": per_severity(amount=(0.01, 0.02, 0.03, 0.05, 0.07)),
    "defocus_blur": rows(("radius", "alias_blur"), [(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)]),
    "glass_blur": rows(("sigma", "delta", "iterations"),
                       [(0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2)]),
    "motion_blur": rows(("radius", "sigma"), [(6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)]),
    # np.arange(1, 1.06, 0.01) has 7 values (1.00 .. 1.06): the float step overshoots; kept as published.
    "zoom_blur": per_severity(zooms=tuple(tuple(np.arange(1, stop, 0.01).tolist())
                                          for stop in (1.06, 1.11, 1.16, 1.21, 1.26))),
    "snow": rows(SNOW, [(0.1, 0.2, 1, 0.6, 8, 3, 0.95), (0.1, 0.2, 1, 0.5, 10, 4, 0.9),
                        (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9), (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85),
                        (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8)]),
    "frost": [dict(image_weight=a, frost_weight=b, texture_scale=0.2)
              for a, b in [(1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45)]],
    "fog": rows(("thickness", "decay"), [(0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)]),
    "brightness": per_severity(shift=(0.05, 0.1, 0.15, 0.2, 0.3)),
    "contrast": per_severity(factor=(0.75, 0.5, 0.4, 0.3, 0.15)),
    "elastic_transform": [dict(alpha=32 * a, sigma=32 * s, affine=32 * f)
                          for a, s, f in [(0, 0, 0.08), (0.05, 0.2, 0.07), (0.08, 0.06, 0.06), (0.1, 0.04, 0.05),
                                          (0.1, 0.03, 0.03)]],
    "pixelate": per_severity(factor=(0.95, 0.9, 0.85, 0.75, 0.65)),
    "jpeg_compression": per_severity(quality=(80, 65, 58, 50, 40)),
    "speckle_noise": per_severity(sigma=(0.06, 0.1, 0.12, 0.16, 0.2)),
    "gaussian_blur": per_severity(sigma=(0.4, 0.6, 0.7, 0.8, 1)),
    "spatter": rows(SPATTER, [(0.62, 0.1, 0.7, 0.7, 0.5, 0), (0.65, 0.1, 0.8, 0.7, 0.5, 0),
                              (0.65, 0.3, 1, 0.69, 0.5, 0), (0.65, 0.1, 0.7, 0.69, 0.6, 1),
                              (0.65, 0.1, 0.5, 0.68, 0.6, 1)]),
    "saturate": rows(("scale", "offset"), [(0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2)]),
}
