"""The CIFAR-10-C generator, image by image: a reference for the fidelity tests and the benchmarks.

hendrycks/robustness ``ImageNet-C/create_c/make_cifar_c.py`` (commit ca36008) made CIFAR-10-C and
CIFAR-100-C. This module does what that script does, step by step, with the same libraries (numpy's global
generator ``np.random.*`` in the script's order, skimage ``gaussian``, scipy ``zoom`` / ``map_coordinates``,
OpenCV, PIL) and the same 8-bit round trips: the script hands every corruption a PIL image made by
torchvision's ``ToTensor`` + ``ToPILImage`` and saves ``np.uint8(result)``. ``np.random.seed(s)`` therefore
gives the images the script would have written after the same seed, except where noted below.

The constants are ``dscr.corrupt.tables.cifar.TABLE``: all 19 rows were checked value by value against the
script (they all match), so the keyword names below are the table's.

Where this differs from the script, and why:

- motion blur and snow call ImageMagick's ``MagickMotionBlurImage`` through Wand, which cannot be installed
  here. They use imagecorruptions' ``_motion_blur`` instead, its documented re-implementation of
  ImageMagick's one-sided Gaussian line kernel, at the script's radius, sigma and angle; the 8-bit PNG that
  ImageMagick writes back is reproduced by rounding (``ScaleQuantumToChar``). The input stays the 8-bit
  image the script encodes (for snow: the layer truncated to ``uint8``, mode 'L').
- impulse noise: skimage's ``random_noise`` has used its own ``default_rng`` since 0.19 and ignores
  ``np.random.seed``. The skimage the script ran with (0.14) drew ``flipped`` then ``salted`` with
  ``np.random.choice`` from the global generator; that is what is done here.
- frost loads one of five photographs with ``cv2.imread`` on every call, as the script does, from the copies
  that the imagecorruptions package ships (``imagecorruptions/frost/``, the same file names); they are not
  copied into this repository.
- elastic transform's cv2.warpAffine: OpenCV 5 (installed here) interpolates at exact coordinates, the
  OpenCV 3 of the script's time at coordinates quantised to 1/32 px; ``warp_affine_opencv3`` reproduces the
  latter (up to 1/32 px apart, which moves edge pixels by a few grey levels).
- renamed library arguments: skimage ``multichannel=True`` is ``channel_axis=-1``; ``np.float_`` is
  ``np.float64``; ``scipy.ndimage.interpolation.map_coordinates`` is ``scipy.ndimage.map_coordinates``.
- everything else runs on the installed library versions, not the script's 2018 ones (scipy, for one,
  changed the borders of its interpolation modes in 1.6, which touches elastic's edge pixels).

Only 32 x 32 RGB images (the script hard-codes 32 in several places).
"""

from __future__ import annotations

import importlib.resources
from io import BytesIO

import cv2
import numpy as np
import skimage as sk
from PIL import Image
from scipy.ndimage import map_coordinates
from scipy.ndimage import zoom as scipy_zoom
from skimage.filters import gaussian

from dscr.corrupt.tables.cifar import TABLE

SIZE = 32
# The script picks np.random.randint(5) from six names, so the sixth photograph is never used.
FROST_FILES = ("frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg")


# ----------------------------------------------------------------------------------------------- helpers
def _as_float(img) -> np.ndarray:
    return np.array(img) / 255.0


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """skimage gaussian over the two spatial axes of an (H, W, C) image (``multichannel=True``)."""
    return gaussian(x, sigma=sigma, channel_axis=-1)


def disk(radius: float, alias_blur: float) -> np.ndarray:
    """The anti-aliased disk of the script: a normalised binary disk smoothed by cv2.GaussianBlur."""
    if radius <= 8:
        span, ksize = np.arange(-8, 8 + 1), (3, 3)
    else:
        span, ksize = np.arange(-radius, radius + 1), (5, 5)
    xx, yy = np.meshgrid(span, span)
    kernel = np.array(xx ** 2 + yy ** 2 <= radius ** 2, dtype=np.float32)
    kernel /= kernel.sum()
    return cv2.GaussianBlur(kernel, ksize=ksize, sigmaX=alias_blur)


def plasma_fractal(mapsize: int = SIZE, decay: float = 3.0) -> np.ndarray:
    """Diamond-square height map in [0, 1], drawing np.random.uniform in the script's order
    (per octave: the squares' centres, then the two sets of diamond points)."""
    assert mapsize & (mapsize - 1) == 0, "mapsize must be a power of two"
    heights = np.zeros((mapsize, mapsize), dtype=np.float64)
    step, wibble = mapsize, 100.0

    def perturbed_mean(total: np.ndarray) -> np.ndarray:
        return total / 4 + wibble * np.random.uniform(-wibble, wibble, total.shape)

    while step >= 2:
        half = step // 2
        corners = heights[0:mapsize:step, 0:mapsize:step]
        square_sum = corners + np.roll(corners, shift=-1, axis=0)
        square_sum += np.roll(square_sum, shift=-1, axis=1)
        heights[half:mapsize:step, half:mapsize:step] = perturbed_mean(square_sum)
        centres = heights[half:mapsize:step, half:mapsize:step]
        corners = heights[0:mapsize:step, 0:mapsize:step]
        across = centres + np.roll(centres, 1, axis=0) + corners + np.roll(corners, -1, axis=1)
        heights[0:mapsize:step, half:mapsize:step] = perturbed_mean(across)
        down = centres + np.roll(centres, 1, axis=1) + corners + np.roll(corners, -1, axis=0)
        heights[half:mapsize:step, 0:mapsize:step] = perturbed_mean(down)
        step //= 2
        wibble /= decay
    heights -= heights.min()
    return heights / heights.max()


def clipped_zoom(x: np.ndarray, factor: float) -> np.ndarray:
    """Zoom the central ceil(H / factor) square of an (H, W, C) array by ``factor`` (scipy, linear) and keep
    the central H rows and columns."""
    h = x.shape[0]
    crop = int(np.ceil(h / factor))
    top = (h - crop) // 2
    zoomed = scipy_zoom(x[top:top + crop, top:top + crop], (factor, factor, 1), order=1)
    trim = (zoomed.shape[0] - h) // 2
    return zoomed[trim:trim + h, trim:trim + h]


def imagemagick_motion_blur(pixels: np.ndarray, radius: float, sigma: float, angle: float) -> np.ndarray:
    """Stand-in for Wand's ``motion_blur`` on an 8-bit image: imagecorruptions' kernel, 8-bit output."""
    from imagecorruptions.corruptions import _motion_blur

    blurred = _motion_blur(pixels, radius=radius, sigma=sigma, angle=angle)
    return np.floor(np.clip(blurred, 0, 255) + 0.5).astype(np.uint8)


def warp_affine_opencv3(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """cv2.warpAffine(x, m, (W, H), INTER_LINEAR, BORDER_REFLECT_101) as OpenCV 3/4 computed it.

    Those versions (the script's time) map every output pixel back through the inverted matrix in 10-bit
    fixed point (each term rounded to 1/1024 px, plus half a 1/32 step) and keep 1/32 px (INTER_BITS = 5)
    before interpolating; OpenCV 5 interpolates at the exact coordinates. The quantised map is handed to
    cv2.remap, whose bilinear weights at multiples of 1/32 are the old table's.
    """
    h, w = x.shape[:2]
    inv = cv2.invertAffineTransform(m)  # warpAffine inverts with the same formula
    cols, rows = np.arange(w), np.arange(h)

    def fixed(v):  # saturate_cast<int>(v * 1024): round half to even
        return np.rint(v * 1024).astype(np.int64)

    half_step = 1024 // 32 // 2
    map_x = (fixed(inv[0, 1] * rows + inv[0, 2])[:, None] + half_step + fixed(inv[0, 0] * cols)[None, :]) >> 5
    map_y = (fixed(inv[1, 1] * rows + inv[1, 2])[:, None] + half_step + fixed(inv[1, 0] * cols)[None, :]) >> 5
    return cv2.remap(x, (map_x / 32).astype(np.float32), (map_y / 32).astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REFLECT_101)


def shuffle_locally(x: np.ndarray, delta: int, iterations: int) -> np.ndarray:
    """The script's pixel walk, in place, one np.random.randint(-delta, delta, size=2) per position.

    The tuple "swap" is kept as written because of what it does on numpy views: the right-hand side holds
    views, so the first assignment overwrites the value the second one would restore. Each visited pixel
    takes its neighbour's value and the neighbour keeps its own.
    """
    h, w = x.shape[:2]
    for _ in range(iterations):
        for row in range(h - delta, delta, -1):
            for col in range(w - delta, delta, -1):
                dx, dy = np.random.randint(-delta, delta, size=(2,))
                x[row, col], x[row + dy, col + dx] = x[row + dy, col + dx], x[row, col]
    return x


# ----------------------------------------------------------------------------------------------- noises
def gaussian_noise(img, sigma):
    x = _as_float(img)
    return np.clip(x + np.random.normal(size=x.shape, scale=sigma), 0, 1) * 255


def shot_noise(img, photons):
    x = _as_float(img)
    return np.clip(np.random.poisson(x * photons) / photons, 0, 1) * 255


def impulse_noise(img, amount):
    """skimage 0.14's random_noise(mode='s&p', salt_vs_pepper=0.5) on the global generator."""
    x = sk.img_as_float(_as_float(img))
    flipped = np.random.choice([True, False], size=x.shape, p=[amount, 1 - amount])
    salted = np.random.choice([True, False], size=x.shape, p=[0.5, 0.5])
    x[flipped & salted] = 1
    x[flipped & ~salted] = 0
    return np.clip(x, 0, 1) * 255  # skimage's clip to [0, 1], then the script's


def speckle_noise(img, sigma):
    x = _as_float(img)
    return np.clip(x + x * np.random.normal(size=x.shape, scale=sigma), 0, 1) * 255


# ----------------------------------------------------------------------------------------------- blurs
def gaussian_blur(img, sigma):
    return np.clip(_blur(_as_float(img), sigma), 0, 1) * 255


def glass_blur(img, sigma, delta, iterations):
    x = np.uint8(_blur(_as_float(img), sigma) * 255)
    x = shuffle_locally(x, delta, iterations)
    return np.clip(_blur(x / 255.0, sigma), 0, 1) * 255


def defocus_blur(img, radius, alias_blur):
    x = _as_float(img)
    kernel = disk(radius, alias_blur)
    channels = np.array([cv2.filter2D(x[:, :, c], -1, kernel) for c in range(3)]).transpose((1, 2, 0))
    return np.clip(channels, 0, 1) * 255


def motion_blur(img, radius, sigma):
    # The script encodes the image as PNG for Wand and decodes the 8-bit result (BGR, then back to RGB).
    angle = np.random.uniform(-45, 45)
    return imagemagick_motion_blur(np.array(img), radius, sigma, angle)


def zoom_blur(img, zooms):
    x = _as_float(img).astype(np.float32)
    total = np.zeros_like(x)
    for factor in zooms:
        total += clipped_zoom(x, factor)
    return np.clip((x + total) / (len(zooms) + 1), 0, 1) * 255


# ----------------------------------------------------------------------------------------------- weather
def snow(img, loc, scale, zoom, threshold, radius, blur_sigma, blend):
    x = np.array(img, dtype=np.float32) / 255.0
    layer = np.random.normal(size=x.shape[:2], loc=loc, scale=scale)
    layer = clipped_zoom(layer[..., np.newaxis], zoom)
    layer[layer < threshold] = 0
    layer8 = (np.clip(layer.squeeze(), 0, 1) * 255).astype(np.uint8)  # the 'L' image handed to Wand
    layer = imagemagick_motion_blur(layer8, radius, blur_sigma, np.random.uniform(-135, -45)) / 255.0
    layer = layer[..., np.newaxis]
    grey = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)[..., np.newaxis]
    x = blend * x + (1 - blend) * np.maximum(x, grey * 1.5 + 0.5)
    return np.clip(x + layer + np.rot90(layer, k=2), 0, 1) * 255


def frost_photo(index: int) -> np.ndarray:
    """The script's ``cv2.imread`` of frost photograph ``index`` (BGR), from the imagecorruptions wheel."""
    resource = importlib.resources.files("imagecorruptions") / "frost" / FROST_FILES[index]
    with importlib.resources.as_file(resource) as path:
        return cv2.imread(str(path))


def frost(img, image_weight, frost_weight, texture_scale):
    photo = frost_photo(np.random.randint(5))
    photo = cv2.resize(photo, (0, 0), fx=texture_scale, fy=texture_scale)
    h, w = np.array(img).shape[:2]
    top, left = np.random.randint(0, photo.shape[0] - h), np.random.randint(0, photo.shape[1] - w)
    crop = photo[top:top + h, left:left + w][..., [2, 1, 0]]  # BGR -> RGB
    return np.clip(image_weight * np.array(img) + frost_weight * crop, 0, 255)


def fog(img, thickness, decay):
    x = _as_float(img)
    peak = x.max()
    h, w = x.shape[:2]
    x += thickness * plasma_fractal(mapsize=h, decay=decay)[:h, :w][..., np.newaxis]
    return np.clip(x * peak / (peak + thickness), 0, 1) * 255


def spatter(img, loc, scale, sigma, threshold, intensity, mud):
    x = np.array(img, dtype=np.float32) / 255.0
    liquid = np.random.normal(size=x.shape[:2], loc=loc, scale=scale)
    liquid = gaussian(liquid, sigma=sigma)
    liquid[liquid < threshold] = 0
    if mud:
        mask = gaussian(np.where(liquid > threshold, 1, 0).astype(np.float32), sigma=intensity)
        mask[mask < 0.8] = 0
        colour = np.array([63, 42, 20], dtype=np.float32) / 255.0 * np.ones_like(x)  # float32, as the script's
        colour *= mask[..., np.newaxis]
        x *= 1 - mask[..., np.newaxis]
        return np.clip(x + colour, 0, 1) * 255
    liquid = (liquid * 255).astype(np.uint8)  # wraps above 1, as the script's cast does
    dist = cv2.distanceTransform(255 - cv2.Canny(liquid, 50, 150), cv2.DIST_L2, 5)
    _, dist = cv2.threshold(dist, 20, 20, cv2.THRESH_TRUNC)
    dist = cv2.equalizeHist(cv2.blur(dist, (3, 3)).astype(np.uint8))
    emboss = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
    dist = cv2.blur(cv2.filter2D(dist, cv2.CV_8U, emboss), (3, 3)).astype(np.float32)
    # The script works in BGRA here; the alpha channel is 1 throughout and is dropped at the end.
    m = cv2.cvtColor(liquid * dist, cv2.COLOR_GRAY2BGRA)
    m /= np.max(m, axis=(0, 1))
    m *= intensity
    colour = cv2.cvtColor(np.ones_like(x) * np.array([175, 238, 238], dtype=np.float32) / 255.0,
                          cv2.COLOR_BGR2BGRA)
    x = cv2.cvtColor(x, cv2.COLOR_BGR2BGRA)
    return cv2.cvtColor(np.clip(x + m * colour, 0, 1), cv2.COLOR_BGRA2BGR) * 255


# ----------------------------------------------------------------------------------------------- digital
def brightness(img, shift):
    hsv = sk.color.rgb2hsv(_as_float(img))
    hsv[:, :, 2] = np.clip(hsv[:, :, 2] + shift, 0, 1)
    return np.clip(sk.color.hsv2rgb(hsv), 0, 1) * 255


def saturate(img, scale, offset):
    hsv = sk.color.rgb2hsv(_as_float(img))
    hsv[:, :, 1] = np.clip(hsv[:, :, 1] * scale + offset, 0, 1)
    return np.clip(sk.color.hsv2rgb(hsv), 0, 1) * 255


def contrast(img, factor):
    x = _as_float(img)
    means = np.mean(x, axis=(0, 1), keepdims=True)
    return np.clip((x - means) * factor + means, 0, 1) * 255


def jpeg_compression(img, quality):
    buffer = BytesIO()
    img.save(buffer, "JPEG", quality=quality)
    return Image.open(buffer)


def pixelate(img, factor):
    w, h = img.size
    small = img.resize((int(w * factor), int(h * factor)), Image.BOX)
    return small.resize((w, h), Image.BOX)


def elastic_transform(img, alpha, sigma, affine):
    x = np.array(img, dtype=np.float32) / 255.0
    shape = x.shape
    centre = np.float32(shape[:2]) // 2
    square = min(shape[:2]) // 3
    src = np.float32([centre + square, [centre[0] + square, centre[1] - square], centre - square])
    dst = src + np.random.uniform(-affine, affine, size=src.shape).astype(np.float32)
    x = warp_affine_opencv3(x, cv2.getAffineTransform(src, dst))
    dx, dy = ((gaussian(np.random.uniform(-1, 1, size=shape[:2]), sigma, mode="reflect", truncate=3) * alpha)
              .astype(np.float32)[..., np.newaxis] for _ in range(2))  # dx is drawn first
    cols, rows, chans = np.meshgrid(np.arange(shape[1]), np.arange(shape[0]), np.arange(shape[2]))
    coords = np.reshape(rows + dy, (-1, 1)), np.reshape(cols + dx, (-1, 1)), np.reshape(chans, (-1, 1))
    return np.clip(map_coordinates(x, coords, order=1, mode="reflect").reshape(shape), 0, 1) * 255


# ----------------------------------------------------------------------------------------------- entry points
CORRUPTIONS = {
    "gaussian_noise": gaussian_noise, "shot_noise": shot_noise, "impulse_noise": impulse_noise,
    "defocus_blur": defocus_blur, "glass_blur": glass_blur, "motion_blur": motion_blur, "zoom_blur": zoom_blur,
    "snow": snow, "frost": frost, "fog": fog, "brightness": brightness, "contrast": contrast,
    "elastic_transform": elastic_transform, "pixelate": pixelate, "jpeg_compression": jpeg_compression,
    "speckle_noise": speckle_noise, "gaussian_blur": gaussian_blur, "spatter": spatter, "saturate": saturate,
}
DETERMINISTIC = ("defocus_blur", "zoom_blur", "brightness", "contrast", "pixelate", "jpeg_compression",
                 "gaussian_blur", "saturate")


def script_input(image: np.ndarray) -> Image.Image:
    """What the script hands each corruption: the HWC uint8 array through ToTensor and ToPILImage."""
    from torchvision.transforms import functional as tvf

    return tvf.to_pil_image(tvf.to_tensor(image))


def corrupt_with_params(image: np.ndarray, name: str, params: dict) -> np.ndarray:
    """One corruption with explicit constants (the table's keyword names), saved as the script saves it.

    Args:
        image: uint8 (32, 32, 3) RGB array.
        name: a CIFAR-10-C corruption name (``CORRUPTIONS``).
        params: keyword constants, e.g. ``TABLE[name][severity - 1]``.

    Returns:
        uint8 (32, 32, 3) array: ``np.uint8`` of the corruption's result.
    """
    if image.shape != (SIZE, SIZE, 3) or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 (32, 32, 3) image, got {image.dtype} {image.shape}")
    if name not in CORRUPTIONS:
        raise KeyError(f"unknown corruption {name!r}; allowed: {', '.join(CORRUPTIONS)}")
    return np.uint8(np.asarray(CORRUPTIONS[name](script_input(image), **params)))


def corrupt(image: np.ndarray, name: str, severity: int) -> np.ndarray:
    """make_cifar_c.py's output for one image, corruption and severity (1..5), drawing from np.random.

    Args:
        image: uint8 (32, 32, 3) RGB array.
        name: a CIFAR-10-C corruption name.
        severity: 1..5.

    Returns:
        uint8 (32, 32, 3) array.
    """
    if not 1 <= severity <= 5:
        raise ValueError(f"severity {severity} out of range; allowed: 1..5")
    return corrupt_with_params(image, name, TABLE[name][severity - 1])
