"""Segmentation task: FCN with a VGG16 backbone on Pascal VOC 2012 under mmsegmentation 1.x (paper Table 12).

Importing this package is cheap; `setup()` imports mmseg and registers what the configs name
(`VGGBackbone`, `DSTHook`, `RNGStateHook`) after making mmseg importable on mmcv-lite (see `mmcv_ops`).
"""

from __future__ import annotations

_READY = False


def setup() -> None:
    """Prepare mmseg for this task (idempotent): mmcv.ops stand-in, registries, trusted checkpoint loader."""
    global _READY
    if _READY:
        return
    from . import mmcv_ops

    mmcv_ops.install()
    from mmseg.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    from . import backbone, checkpoint, hooks  # noqa: F401  (register VGGBackbone and the hooks)

    checkpoint.install()
    _READY = True
