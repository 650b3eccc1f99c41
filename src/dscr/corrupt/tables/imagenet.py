"""ImageNet-C constants (224 px); also the defaults of the imagecorruptions package (Pascal-VOC-C)."""

import numpy as np

from . import per_severity, rows
from .cifar import SNOW, SPATTER

SOURCE = "hendrycks/robustness ImageNet-C/create_c/make_imagenet_c.py"

TABLE = {
    "gaussian_noise": per_severity(sigma=(0.08, 0.12, 0.18, 0.26, 0.38)),
    "shot_noise": per_severity(photons=(60, 25, 12, 5, 3)),
    "impulse_noise": per_severity(amount=(0.03, 0.06, 0.09, 0.17, 0.27)),
    "defocus_blur": rows(("radius", "alias_blur"), [(3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)]),
    "glass_blur": rows(("sigma", "delta", "iterations"),
                       [(0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)]),
    "motion_blur": rows(("radius", "sigma"), [(10, 3), (15, 5), (15, 8), (15, 12), (20, 15)]),
    "zoom_blur": per_severity(zooms=tuple(tuple(np.arange(1, stop, step).tolist())
                                          for stop, step in [(1.11, 0.01), (1.16, 0.01), (1.21, 0.02),
                                                             (1.26, 0.02), (1.31, 0.03)])),
    "snow": rows(SNOW, [(0.1, 0.3, 3, 0.5, 10, 4, 0.8), (0.2, 0.3, 2, 0.5, 12, 4, 0.7),
                        (0.55, 0.3, 4, 0.9, 12, 8, 0.7), (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65),
                        (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55)]),
    "frost": [dict(image_weight=a, frost_weight=b, texture_scale=1.0)
              for a, b in [(1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75)]],
    "fog": rows(("thickness", "decay"), [(1.5, 2), (2, 2), (2.5, 1.7), (2.5, 1.5), (3, 1.4)]),
    "brightness": per_severity(shift=(0.1, 0.2, 0.3, 0.4, 0.5)),
    "contrast": per_severity(factor=(0.4, 0.3, 0.2, 0.1, 0.05)),
    # The script multiplies by 244 where it meant 224 ("ultimately nothing is incorrect"); kept as published.
    "elastic_transform": [dict(alpha=244 * a, sigma=244 * s, affine=244 * f)
                          for a, s, f in [(2, 0.7, 0.1), (2, 0.08, 0.2), (0.05, 0.01, 0.02), (0.07, 0.01, 0.02),
                                          (0.12, 0.01, 0.02)]],
    "pixelate": per_severity(factor=(0.6, 0.5, 0.4, 0.3, 0.25)),
    "jpeg_compression": per_severity(quality=(25, 18, 15, 10, 7)),
    "speckle_noise": per_severity(sigma=(0.15, 0.2, 0.35, 0.45, 0.6)),
    "gaussian_blur": per_severity(sigma=(1, 2, 3, 4, 6)),
    "spatter": rows(SPATTER, [(0.65, 0.3, 4, 0.69, 0.6, 0), (0.65, 0.3, 3, 0.68, 0.6, 0),
                              (0.65, 0.3, 2, 0.68, 0.5, 0), (0.65, 0.3, 1, 0.65, 1.5, 1),
                              (0.67, 0.4, 1, 0.65, 1.5, 1)]),
    "saturate": rows(("scale", "offset"), [(0.3, 0), (0.1, 0), (2, 0), (5, 0.1), (20, 0.2)]),
}

# imagecorruptions (bethgelab, maintained as imagecorruptions-imaug 1.1.5, imagecorruptions/corruptions.py)
# keeps these constants for any image size and changes the corruptions below:
VOC_SOURCE = "imagecorruptions-imaug 1.1.5 imagecorruptions/corruptions.py (ImageNet-C constants, any size)"
VOC_TABLE = {
    **TABLE,
    # displacement only: sigma 1 % of the size, uniform noise +-0.5 % of the height, no affine step
    "elastic_transform": [dict(alpha=250 * a, sigma_rel=0.01, amplitude_rel=0.005)
                          for a in (0.05, 0.065, 0.085, 0.1, 0.12)],
    "pixelate": [dict(p, upsample="nearest") for p in TABLE["pixelate"]],
    "snow": [dict(p, trim="start") for p in TABLE["snow"]],
    "frost": [dict(p, styles=6) for p in TABLE["frost"]],  # draws from all six photographs
}
