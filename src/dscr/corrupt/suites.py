"""The built-in suites: each corruption function bound to the constants of one published table."""

from __future__ import annotations

from . import blur, cbar, digital, mnist_c, noise, spatter, threedcc, weather
from .registry import Corruption, Suite, register_suite
from .tables import cbar as cbar_table
from .tables import cifar, fashion_mnist, imagenet, tiny
from .tables import threedcc as threedcc_table

# name -> (function, how its reference turns floats into uint8)
FUNCTIONS = {
    "gaussian_noise": (noise.gaussian_noise, "floor"),
    "shot_noise": (noise.shot_noise, "floor"),
    "impulse_noise": (noise.impulse_noise, "floor"),
    "speckle_noise": (noise.speckle_noise, "floor"),
    "defocus_blur": (blur.defocus_blur, "floor"),
    "glass_blur": (blur.glass_blur, "floor"),
    "motion_blur": (blur.motion_blur, "floor"),
    "zoom_blur": (blur.zoom_blur, "floor"),
    "gaussian_blur": (blur.gaussian_blur, "floor"),
    "snow": (weather.snow, "floor"),
    "frost": (weather.frost, "floor"),
    "fog": (weather.fog, "floor"),
    "spatter": (spatter.spatter, "floor"),
    "brightness": (digital.brightness, "floor"),
    "contrast": (digital.contrast, "floor"),
    "saturate": (digital.saturate, "floor"),
    "elastic_transform": (digital.elastic_transform, "floor"),
    "pixelate": (digital.pixelate, "round"),  # PIL resize output is already 8-bit
    "jpeg_compression": (digital.jpeg_compression, "round"),  # decoded JPEG is already 8-bit
}


def walks_sequentially(name: str, params) -> bool:
    """Glass blur replays its pixel walk step by step, once per call whatever the batch, unless every
    offset is -1 or 0 (delta 1: one gather per pass, see blur.glass_permutation). Such corruptions get the
    whole batch instead of cache-sized chunks."""
    return name == "glass_blur" and any(p["delta"] > 1 for p in params)


# The 19 of CIFAR-10-C in the order of the published files; ImageNet-C keeps the first 15.
ALL19 = ("gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur", "zoom_blur",
         "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate", "jpeg_compression",
         "speckle_noise", "gaussian_blur", "spatter", "saturate")
COMMON15 = ALL19[:15]


# make_imagenet_c.py and make_tinyimagenet_c.py save every corrupted image with
# Image.save(<name>.JPEG, quality=85, optimize=True): the published sets carry that encoding (CIFAR: .npy).
HENDRYCKS_JPEG_QUALITY = 85

# The hendrycks scripts blur with ImageMagick (Wand), which writes an 8-bit image back: rounded, not truncated
# as imagecorruptions' numpy re-implementation does.
WAND_ROUNDING = {"motion_blur": "round"}


def bind(table: dict[str, list[dict]], names, rounding: dict[str, str] | None = None) -> dict[str, Corruption]:
    """Corruption specs for ``names`` with their constants from ``table`` (``rounding`` overrides FUNCTIONS')."""
    rounding = rounding or {}
    return {n: Corruption(n, FUNCTIONS[n][0], tuple(table[n]), rounding.get(n, FUNCTIONS[n][1]),
                          whole_batch=walks_sequentially(n, table[n]))
            for n in names}


def _register_builtin() -> None:
    register_suite(Suite("cifar10-c", "cifar10", bind(cifar.TABLE, ALL19, WAND_ROUNDING), cifar.SOURCE, "cifar",
                         32, published_dir="CIFAR-10-C"))
    register_suite(Suite("cifar100-c", "cifar100", bind(cifar.TABLE, ALL19, WAND_ROUNDING), cifar.SOURCE, "cifar",
                         32, published_dir="CIFAR-100-C"))
    register_suite(Suite("tinyimagenet-c", "tinyimagenet", bind(tiny.TABLE, COMMON15, WAND_ROUNDING), tiny.SOURCE,
                         "imagefolder", 64, saved_jpeg_quality=HENDRYCKS_JPEG_QUALITY))
    register_suite(Suite("imagenet-c", "imagenet", bind(imagenet.TABLE, COMMON15, WAND_ROUNDING), imagenet.SOURCE,
                         "imagefolder", 224, saved_jpeg_quality=HENDRYCKS_JPEG_QUALITY))
    register_suite(Suite("voc-c", "voc", bind(imagenet.VOC_TABLE, ALL19), imagenet.VOC_SOURCE, "imagefolder", None))
    cbar_specs = {name: Corruption(name, getattr(cbar, name), tuple(params),
                                   severity_dirs=cbar_table.SEVERITY_DIRS[name])
                  for name, params in cbar_table.TABLE.items()}
    register_suite(Suite("imagenet-c-bar", "imagenet", cbar_specs, cbar_table.SOURCE, "imagefolder", 224))
    mnist_functions = {"flip_left_right": mnist_c.turn_right, "flip_top_bottom": mnist_c.turn_left}
    mnist_specs = {name: Corruption(name, mnist_functions.get(name) or getattr(mnist_c, name), tuple(params),
                                    rgb=False, whole_batch=name == "glass_blur")  # true swaps: sequential
                   for name, params in fashion_mnist.TABLE.items()}
    register_suite(Suite("fashion-mnist-c", "fashionmnist", mnist_specs, fashion_mnist.SOURCE, "cifar", 28))
    specs_3dcc = {name: Corruption(name, getattr(threedcc, name), tuple(params),
                                   "round" if name in threedcc_table.ROUNDED else "floor",
                                   needs_depth=name in threedcc_table.DEPTH)
                  for name, params in threedcc_table.TABLE.items()}
    register_suite(Suite("imagenet-3dcc", "imagenet", specs_3dcc, threedcc_table.SOURCE, "imagefolder", 224))


_register_builtin()
