#!/usr/bin/env bash
# Smoke test of the segmentation image, inside the container on the CPU: mmcv-lite as in development (no compiled
# ops; tasks/segmentation/mmcv_ops.py lets mmseg import), mmseg's models and FCN, then the segmentation tests.
set -euo pipefail
# shellcheck source=images/smoke_common.sh
source "$(dirname "$0")/../smoke_common.sh"
smoke_header
python - <<'PY'
import mmcv

from tasks.segmentation import mmcv_ops

assert not mmcv_ops.compiled_ops_available(), "this image has full mmcv; images/README.md chose mmcv-lite"
assert mmcv_ops.install(), "the mmcv.ops stand-in was not installed on mmcv-lite"
import mmseg.models  # noqa: E402  (needs the stand-in on mmcv-lite)
from mmseg.models.decode_heads import FCNHead  # noqa: E402

print(f"mmcv-lite {mmcv.__version__}: mmseg.models imports, FCNHead is {FCNHead.__name__}")
PY
smoke_tests_or_imports tests/segmentation mmseg.models tasks.segmentation
