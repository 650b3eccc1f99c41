"""Suites of corruptions: the `Suite` dataclass, the suite registry and the seeding helper.

A corruption is a function ``fn(x, generator, **params) -> y`` on float images in [0, 1] shaped
(N, C, H, W); a suite binds each corruption name to that function and to one parameter dict per
severity (the published constants, see ``tables/``), and turns the float result into uint8 the way the
published pipeline saved it (``np.uint8`` truncation for most, rounding where the reference goes through
an 8-bit image codec).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import zlib
from typing import Callable

import torch

from dscr.config import DscrError

from . import ops

CorruptionFn = Callable[..., torch.Tensor]

# Added before truncation so that a value the float64 reference computes as an exact integer k does not
# become k-1 through float32 rounding (k - 1e-5); it moves 0.1 % of the other values up by one level.
_FLOOR_EPS = 1e-3
# Images per call are chosen so that a float chunk (elements) stays in cache: the corruptions are chains of
# elementwise passes, and at 32 px chunks of ~300 images run them 2-5x faster than batches of 1000
# (measured, one thread). The same on every device, so a seed gives the same draws on CPU and CUDA.
_CHUNK_ELEMENTS = 1 << 20


@dataclasses.dataclass(frozen=True)
class Corruption:
    """One corruption of a suite.

    Attributes:
        name: lowercase name, as in the published file names (``gaussian_noise``).
        fn: ``fn(x, generator, **params)`` on float (N, C, H, W) images in [0, 1].
        params: one keyword dict per severity.
        rounding: ``floor`` (reference saves ``np.uint8(float)``) or ``round`` (an 8-bit codec in between).
        rgb: whether the function needs three channels (grey images are replicated, then averaged back).
        severity_dirs: folder name per severity in the published layout (default "1".."5").
        needs_depth: the function takes a ``depth`` map (N, 1, H, W) as well (ImageNet-3DCC).
        whole_batch: call the function once on the whole batch instead of on cache-sized chunks (for functions
            whose cost is per call rather than per image, like glass blur's pixel walk).
    """

    name: str
    fn: CorruptionFn
    params: tuple[dict, ...]
    rounding: str = "floor"
    rgb: bool = True
    severity_dirs: tuple[str, ...] = ()
    needs_depth: bool = False
    whole_batch: bool = False

    def severity_dir(self, severity: int) -> str:
        return self.severity_dirs[severity - 1] if self.severity_dirs else str(severity)


@dataclasses.dataclass
class Suite:
    """A named benchmark: corruptions, severities and the dataset whose test split it corrupts.

    Attributes:
        name: registry name (``cifar10-c``).
        dataset: name of the clean dataset (``cifar10``), as the task's dataset table spells it.
        table: ordered mapping corruption name -> `Corruption`.
        source: where the constants come from (repository and file).
        layout: on-disk layout: ``cifar`` (<corruption>.npy) or ``imagefolder`` (<c>/<s>/<class>/*).
        image_size: the resolution the constants were published for (None: any size).
        saved_jpeg_quality: the published files were saved as JPEG at this quality after corrupting (the
            hendrycks ImageNet-C and Tiny-ImageNet-C scripts: 85); ``apply`` ends with that encoding too, so
            that images match the published ones. None: saved losslessly.
        published_dir: folder name of the published files under a data root (``CIFAR-10-C``), which the
            evaluation can prefer to generating the suite on the fly; None: no published copy is looked for.
    """

    name: str
    dataset: str
    table: dict[str, Corruption]
    source: str
    layout: str = "cifar"
    image_size: int | None = None
    saved_jpeg_quality: int | None = None
    published_dir: str | None = None

    @property
    def corruptions(self) -> list[str]:
        return list(self.table)

    @property
    def severities(self) -> list[int]:
        counts = {len(c.params) for c in self.table.values()}
        return list(range(1, max(counts) + 1)) if counts else []

    def corruption(self, name: str) -> Corruption:
        if name not in self.table:
            raise DscrError(f"unknown corruption '{name}' for suite {self.name}; allowed: {', '.join(self.table)}")
        return self.table[name]

    def apply(self, corruption: str, x: torch.Tensor, severity: int,
              generator: torch.Generator | None = None, depth: torch.Tensor | None = None) -> torch.Tensor:
        """Corrupt a batch.

        Args:
            corruption: a name from ``self.corruptions``.
            x: uint8 tensor (N, C, H, W), C in {1, 3}, on any device.
            severity: 1-based severity.
            generator: source of all randomness (on x's device or CPU); None means a generator seeded 0.
            depth: (N, 1, H, W) depth map, only for corruptions with ``needs_depth`` (larger is farther).

        Returns:
            uint8 tensor of x's shape on x's device.
        """
        spec = self.corruption(corruption)
        if not 1 <= severity <= len(spec.params):
            raise DscrError(f"severity {severity} out of range for {self.name}/{corruption}; "
                            f"allowed: 1..{len(spec.params)}")
        if x.dtype != torch.uint8 or x.dim() != 4 or x.shape[1] not in (1, 3):
            raise DscrError(f"expected a uint8 batch (N, C, H, W) with C in 1 or 3, got {x.dtype} "
                            f"{tuple(x.shape)}")
        if spec.needs_depth and depth is None:
            raise DscrError(f"{self.name}/{corruption} needs a depth map: apply(..., depth=(N, 1, H, W) tensor)")
        if generator is None:
            generator = torch.Generator(device="cpu").manual_seed(0)
        per_image = x.shape[2] * x.shape[3] * (3 if spec.rgb else x.shape[1])
        chunk = len(x) if spec.whole_batch else max(1, _CHUNK_ELEMENTS // per_image)
        out = torch.empty_like(x)
        for start in range(0, len(x), chunk):
            part = slice(start, start + chunk)
            extra = {"depth": depth[part]} if spec.needs_depth else {}
            out[part] = self._apply_float(spec, x[part], severity, generator, extra)
        if self.saved_jpeg_quality is not None:
            out = ops.jpeg_roundtrip(out, self.saved_jpeg_quality)
        return out

    @staticmethod
    def _apply_float(spec: Corruption, x: torch.Tensor, severity: int, generator: torch.Generator,
                     extra: dict) -> torch.Tensor:
        xf = x.float().div_(255.0)
        grey = x.shape[1] == 1 and spec.rgb
        if grey:
            xf = xf.expand(-1, 3, -1, -1).contiguous()
        y = spec.fn(xf, generator, **spec.params[severity - 1], **extra)
        if grey:
            y = y.mean(dim=1, keepdim=True)
        return to_uint8(y, spec.rounding)


def to_uint8(y: torch.Tensor, rounding: str) -> torch.Tensor:
    """Float image in [0, 1] -> uint8 in [0, 255], truncating or rounding as the reference did."""
    v = y * 255.0
    if rounding == "floor":
        # Casting a float in [0, 255] to uint8 truncates, which is floor for non-negative values.
        return v.add_(_FLOOR_EPS).clamp_(0.0, 255.0).to(torch.uint8)
    return v.round_().clamp_(0.0, 255.0).to(torch.uint8)


def batch_generator(seed: int, corruption: str, severity: int, batch_index: int,
                    device: str | torch.device = "cpu") -> torch.Generator:
    """The generator for one (corruption, severity, batch): the evaluator and the disk writer share it.

    Images only reproduce bit for bit on the same kind of device (CPU and CUDA generators differ) and with
    the same batch boundaries.
    """
    key = zlib.crc32(f"{corruption}/{severity}/{batch_index}".encode())
    return torch.Generator(device=device).manual_seed((int(seed) * 1_000_003 + key) % (2 ** 63))


_SUITES: dict[str, Suite] = {}
# Suites registered by optional modules, imported on first use.
_LAZY = {"ucf101-c": "dscr.corrupt.video"}


def register_suite(suite: Suite, overwrite: bool = False) -> Suite:
    """Add a suite to the registry (names are lowercase); returns it so it can be used as a decorator result."""
    name = suite.name.lower()
    if name in _SUITES and not overwrite:
        raise ValueError(f"suite {name!r} is already registered")
    _SUITES[name] = suite
    return suite


def _import_lazy(name: str) -> None:
    module = _LAZY.get(name)
    if module and name not in _SUITES and importlib.util.find_spec(module) is not None:
        importlib.import_module(module)


def get_suite(name: str) -> Suite:
    """Look a suite up by name; raises DscrError listing the known names."""
    key = name.lower()
    _import_lazy(key)
    if key not in _SUITES:
        raise DscrError(f"unknown corruption suite '{name}'; allowed: {', '.join(list_suites())}")
    return _SUITES[key]


def list_suites() -> list[str]:
    """Names of every registered suite (optional ones included when their module is present)."""
    for name in _LAZY:
        _import_lazy(name)
    return sorted(_SUITES)
