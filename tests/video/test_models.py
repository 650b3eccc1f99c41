"""Video models: pytorchvideo's architectures at any clip size, local Kinetics weights, the import shim."""

from __future__ import annotations

import sys

import pytest
import torch

from dscr.config import DscrError
from tasks.video.models import create_model, list_models, load_pretrained


def test_compat_shim_lets_pytorchvideo_transforms_import():
    import torchvision.transforms._functional_tensor as renamed

    import tasks.video._compat  # noqa: F401
    import pytorchvideo.transforms.augmentations  # noqa: F401  (imports the removed module name)

    assert sys.modules["torchvision.transforms.functional_tensor"] is renamed


@pytest.mark.parametrize("name,hub", [("r3d50", "slow_r50"), ("i3d_r50", "i3d_r50")])
def test_full_size_models_match_pytorchvideos_hub_architectures(name, hub):
    from pytorchvideo.models import hub as builders

    with torch.device("meta"):  # shapes only: no memory, no compute
        ours = create_model(name, 400, frames=8, crop_size=224).state_dict()
        theirs = getattr(builders, hub)(pretrained=False).state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}


@pytest.mark.parametrize("name", ["r3d50", "i3d_r50"])
@pytest.mark.parametrize("frames,size", [(8, 32), (4, 64), (16, 48)])
def test_head_pool_follows_the_clip_size(name, frames, size):
    model = create_model(name, 5, frames=frames, crop_size=size, width=8).eval()
    features = {}
    model.blocks[-1].register_forward_hook(lambda m, i, o: features.update(pool=m.pool(i[0]).shape))
    with torch.no_grad():
        out = model(torch.randn(2, 3, frames, size, size))
    assert out.shape == (2, 5)
    assert features["pool"][2:] == (1, 1, 1)  # one window over the whole feature map


def test_registry_lists_both_and_rejects_unknown_names():
    assert {"r3d50", "i3d_r50"} <= set(list_models())
    with pytest.raises(DscrError, match="allowed: .*r3d50"):
        create_model("r2plus1d", 5)


def test_local_kinetics_checkpoint_loads_all_but_the_classifier(tmp_path):
    torch.manual_seed(0)
    kinetics = create_model("r3d50", 400, frames=4, crop_size=32, width=8)
    path = tmp_path / "SLOW_8x8_R50.pyth"
    torch.save({"model_state": kinetics.state_dict(), "epoch": 196}, path)
    torch.manual_seed(1)
    ours = create_model("r3d50", 3, frames=4, crop_size=32, width=8, pretrained=str(path))
    fresh = load_pretrained(create_model("r3d50", 3, frames=4, crop_size=32, width=8), path)
    assert fresh == ["blocks.5.proj.bias", "blocks.5.proj.weight"]
    assert torch.equal(ours.blocks[0].conv.weight, kinetics.blocks[0].conv.weight)
    assert torch.equal(ours.blocks[4].res_blocks[0].branch2.conv_b.weight,
                       kinetics.blocks[4].res_blocks[0].branch2.conv_b.weight)
    with pytest.raises(DscrError, match="not found"):
        load_pretrained(ours, tmp_path / "missing.pyth")
    with pytest.raises(DscrError, match="does not fit"):
        torch.save({"model_state": {"x": torch.zeros(1)}}, tmp_path / "other.pyth")
        load_pretrained(ours, tmp_path / "other.pyth")
