"""Make `import mmseg.models` work with mmcv-lite, which ships no compiled ops (`mmcv._ext`).

mmsegmentation 1.2.2 imports a few `mmcv.ops` names at module load (the point-sampling helper of
PointRend/Mask2Former and the CUDA sigmoid focal loss), so `import mmseg.models` fails on mmcv-lite with
`No module named 'mmcv._ext'` even though FCN never calls any of them. Building full mmcv takes ~11 minutes,
too slow for CI on a fresh machine, so when `mmcv._ext` is absent `install()` puts a stand-in `mmcv.ops`
module in `sys.modules`:

- the names mmseg imports unguarded resolve to callables that raise a clear `RuntimeError` when used;
- any other name raises `ModuleNotFoundError` (the exception mmseg's guarded imports, e.g. CCHead's
  `CrissCrossAttention`, already fall back on), naming the full-mmcv requirement.

With full mmcv installed (the segmentation container) `install()` does nothing. `mmcv_full_available()` keeps
returning False under the stand-in, so mmengine never looks for mmcv's SyncBatchNorm or deformable convs.
"""

from __future__ import annotations

import importlib.util
import sys
import types

# The `mmcv.ops` names mmseg 1.2.2 imports at module load without a fallback (grep `from mmcv.ops import`).
UNGUARDED_OPS = ("point_sample", "sigmoid_focal_loss")

_HINT = ("needs mmcv's compiled ops (mmcv._ext), and this environment has mmcv-lite; install full "
         "mmcv==2.1.0 (the segmentation image builds it) to use this model component")


def compiled_ops_available() -> bool:
    """True when the installed mmcv has its compiled extension (full mmcv, not mmcv-lite)."""
    return importlib.util.find_spec("mmcv") is not None and importlib.util.find_spec("mmcv._ext") is not None


def _unavailable(name: str):
    def op(*args, **kwargs):
        del args, kwargs
        raise RuntimeError(f"mmcv.ops.{name} {_HINT}")

    op.__name__ = op.__qualname__ = name
    return op


def _stand_in() -> types.ModuleType:
    module = types.ModuleType("mmcv.ops", "Stand-in for mmcv.ops on mmcv-lite (see tasks/segmentation/mmcv_ops.py).")
    for name in UNGUARDED_OPS:
        setattr(module, name, _unavailable(name))

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise ModuleNotFoundError(f"mmcv.ops.{name} {_HINT}", name=f"mmcv.ops.{name}")

    module.__getattr__ = __getattr__
    module.IS_DSCR_STAND_IN = True
    return module


def install() -> bool:
    """Install the stand-in `mmcv.ops` if mmcv lacks its compiled ops; idempotent.

    Returns:
        True if the stand-in is (now or already) in place, False if full mmcv is installed.
    """
    current = sys.modules.get("mmcv.ops")
    if current is not None:
        return bool(getattr(current, "IS_DSCR_STAND_IN", False))
    if compiled_ops_available():
        return False
    import mmcv

    module = _stand_in()
    sys.modules["mmcv.ops"] = module
    mmcv.ops = module
    return True
