"""The one place that patches pytorchvideo 0.1.5 for current torchvision; import it before any pytorchvideo module.

pytorchvideo 0.1.5 (its last release) imports `torchvision.transforms.functional_tensor`, which torchvision
0.17 renamed to the private `torchvision.transforms._functional_tensor` and later removed. Registering the new
module under the old name lets `pytorchvideo.transforms` (and anything importing it) load unchanged. When the
old module still exists, nothing is touched.
"""

from __future__ import annotations

import importlib
import sys

_OLD = "torchvision.transforms.functional_tensor"
_NEW = "torchvision.transforms._functional_tensor"


def patch_torchvision() -> None:
    """Alias the removed torchvision module to its renamed successor (idempotent)."""
    if _OLD in sys.modules:
        return
    try:
        importlib.import_module(_OLD)
    except ModuleNotFoundError:
        sys.modules[_OLD] = importlib.import_module(_NEW)


patch_torchvision()
