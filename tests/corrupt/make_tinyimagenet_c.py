"""The Tiny-ImageNet-C generator, image by image: a reference for the fidelity tests.

hendrycks/robustness ``ImageNet-C/create_c/make_tinyimagenet_c.py`` made Tiny-ImageNet-C. Its corruption
functions are those of ``make_cifar_c.py`` line for line (a diff of the two scripts shows only the data
pipeline, the constants and the literal 32 turned into 64), so this module reuses ``make_cifar_c``'s steps
and its substitutions (Wand motion blur -> imagecorruptions' ``_motion_blur`` rounded to 8 bits, skimage
0.14's impulse draws on ``np.random.choice``, OpenCV 3's quantised ``warpAffine``, frost photographs from the
imagecorruptions wheel; see that module's docstring). ``np.random.seed(s)`` gives what the script would have
computed after the same seed, up to those substitutions.

The constants are ``dscr.corrupt.tables.tiny.TABLE``; all 15 rows (and the four extra ones the script also
defines: speckle noise, Gaussian blur, spatter, saturate) were checked value by value against the script.

Where the Tiny script differs from the CIFAR one, and what that means here:

- size 64: the glass-blur walk runs over rows and columns 64 - delta .. delta + 1; the fog plasma is
  64 x 64 (``plasma_fractal(mapsize=64)``); snow reshapes its grey image to 64 x 64; frost crops 64 x 64;
  pixelate shrinks to ``int(64 * factor)``. ``make_cifar_c``'s steps take the size from the image, so all
  15 are imported from it.
- frost scales the photographs by 0.3 (CIFAR: 0.2) before the random 64 x 64 crop.
- elastic's constants are multiples of IMSIZE = 64 (the table keeps them as ``64 * fraction``).
- input: the script hands each corruption the PIL image made by ``Resize((64, 64))`` of an ImageNet
  validation crop, with no ToTensor / ToPILImage round trip, so ``script_input`` here is
  ``Image.fromarray``. The resize belongs to the data set, not to the corruption, and is not redone.
- output: the script writes ``Image.fromarray(np.uint8(result))`` to the source file's name (ImageNet's
  ``.JPEG``) with ``quality=85, optimize=True``, i.e. the published files went through one more JPEG
  encoding at quality 85. ``corrupt`` returns ``np.uint8(result)``, what our engine is compared with;
  ``as_published`` adds that final encoding.
"""

from __future__ import annotations

from io import BytesIO

import numpy as np
from PIL import Image

import make_cifar_c as cifar
from dscr.corrupt.tables.tiny import TABLE

SIZE = 64
PUBLISHED_JPEG_QUALITY = 85


# --------------------------------------------------------------------- entry points
# The 15 of Tiny-ImageNet-C, in the order of the script's list (and of our tinyimagenet-c suite).
CORRUPTIONS = {
    "gaussian_noise": cifar.gaussian_noise, "shot_noise": cifar.shot_noise, "impulse_noise": cifar.impulse_noise,
    "defocus_blur": cifar.defocus_blur, "glass_blur": cifar.glass_blur, "motion_blur": cifar.motion_blur,
    "zoom_blur": cifar.zoom_blur, "snow": cifar.snow, "frost": cifar.frost, "fog": cifar.fog,
    "brightness": cifar.brightness, "contrast": cifar.contrast, "elastic_transform": cifar.elastic_transform,
    "pixelate": cifar.pixelate,
    "jpeg_compression": cifar.jpeg_compression,
}
DETERMINISTIC = tuple(name for name in cifar.DETERMINISTIC if name in CORRUPTIONS)


def corrupt_with_params(image: np.ndarray, name: str, params: dict) -> np.ndarray:
    """One corruption with explicit constants (the table's keyword names), as ``np.uint8`` of its result.

    Args:
        image: uint8 (64, 64, 3) RGB array (the script's resized PIL image).
        name: a Tiny-ImageNet-C corruption name (``CORRUPTIONS``).
        params: keyword constants, e.g. ``TABLE[name][severity - 1]``.

    Returns:
        uint8 (64, 64, 3) array, before the script's JPEG save (see ``as_published``).
    """
    if image.shape != (SIZE, SIZE, 3) or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 (64, 64, 3) image, got {image.dtype} {image.shape}")
    if name not in CORRUPTIONS:
        raise KeyError(f"unknown corruption {name!r}; allowed: {', '.join(CORRUPTIONS)}")
    return np.uint8(np.asarray(CORRUPTIONS[name](Image.fromarray(image), **params)))


def corrupt(image: np.ndarray, name: str, severity: int) -> np.ndarray:
    """make_tinyimagenet_c.py's result for one image, corruption and severity (1..5), drawing from np.random.

    Args:
        image: uint8 (64, 64, 3) RGB array.
        name: a Tiny-ImageNet-C corruption name.
        severity: 1..5.

    Returns:
        uint8 (64, 64, 3) array.
    """
    if not 1 <= severity <= 5:
        raise ValueError(f"severity {severity} out of range; allowed: 1..5")
    return corrupt_with_params(image, name, TABLE[name][severity - 1])


def as_published(image: np.ndarray) -> np.ndarray:
    """The script's save: ``Image.save(name.JPEG, quality=85, optimize=True)``, decoded back to uint8 RGB.

    Args:
        image: uint8 (H, W, 3) array, e.g. ``corrupt``'s result.

    Returns:
        uint8 (H, W, 3) array as read back from the published file.
    """
    buffer = BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=PUBLISHED_JPEG_QUALITY, optimize=True)
    return np.asarray(Image.open(buffer).convert("RGB"))
