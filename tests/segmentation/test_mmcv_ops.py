"""mmseg imports on mmcv-lite through the mmcv.ops stand-in, and the ops FCN never calls fail loudly."""

from __future__ import annotations

import pytest

from tasks.segmentation import mmcv_ops, setup

pytestmark = pytest.mark.skipif(mmcv_ops.compiled_ops_available(), reason="full mmcv installed: no stand-in")


def test_mmseg_models_import_and_fcn_builds():
    setup()
    import mmcv.ops
    from mmseg.registry import MODELS

    assert mmcv.ops.IS_DSCR_STAND_IN
    head = MODELS.build(dict(type="FCNHead", in_channels=4, channels=4, num_classes=3, num_convs=1))
    assert head.conv_seg.out_channels == 3


def test_unavailable_ops_raise_clear_errors():
    setup()
    import mmcv.ops
    from mmengine.utils.dl_utils import mmcv_full_available

    with pytest.raises(RuntimeError, match="mmcv-lite"):
        mmcv.ops.sigmoid_focal_loss(None, None)
    with pytest.raises(ModuleNotFoundError, match="CrissCrossAttention.*mmcv-lite"):
        from mmcv.ops import CrissCrossAttention  # noqa: F401
    assert not mmcv_full_available()  # mmengine must not reach for mmcv's SyncBN / DCN
    assert mmcv_ops.install()  # idempotent
