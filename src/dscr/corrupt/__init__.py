"""Corruption engine: batched, seeded image corruptions and the benchmark suites built from them.

    from dscr import corrupt
    suite = corrupt.get_suite("cifar10-c")
    y = suite.apply("fog", x_uint8_nchw, severity=3, generator=corrupt.batch_generator(0, "fog", 3, 0))

Suites: cifar10-c, cifar100-c, tinyimagenet-c, imagenet-c, imagenet-c-bar, voc-c, fashion-mnist-c,
imagenet-3dcc, and ucf101-c when ``dscr.corrupt.video`` is present (imported on first request).
"""

from .registry import Corruption, Suite, batch_generator, get_suite, list_suites, register_suite, to_uint8
from . import suites as _builtin_suites  # noqa: F401  (registers the built-in suites)

__all__ = ["Corruption", "Suite", "batch_generator", "get_suite", "list_suites", "register_suite", "to_uint8"]
