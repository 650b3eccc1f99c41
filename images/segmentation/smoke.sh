#!/usr/bin/env bash
# Smoke test of the segmentation image, inside the container on the CPU: full mmcv with its compiled ops (not
# mmcv-lite, not the stand-in of tasks/segmentation/mmcv_ops.py), mmseg's models, then the segmentation tests.
set -euo pipefail
# shellcheck source=images/smoke_common.sh
source "$(dirname "$0")/../smoke_common.sh"
smoke_header
python - <<'PY'
import torch
import mmcv
from mmcv.ops import point_sample

import mmseg.models  # noqa: F401  (fails on mmcv-lite without the stand-in)
from tasks.segmentation import mmcv_ops

assert mmcv_ops.compiled_ops_available(), "mmcv._ext is missing"
assert not mmcv_ops.install(), "the mmcv.ops stand-in was installed although full mmcv is present"
features = torch.arange(16.0).reshape(1, 1, 4, 4)
sampled = point_sample(features, torch.tensor([[[0.5, 0.5]]]), align_corners=False)
print(f"mmcv {mmcv.__version__} with compiled ops; point_sample at the centre: {sampled.item():.2f}")
PY
smoke_tests_or_imports tests/segmentation mmseg.models tasks.segmentation
