"""VGGBackbone: torchvision parameter layout, pretrained weights from a local file, stage outputs."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from dscr.config import ConfigError
from tasks.segmentation import setup

setup()
from tasks.segmentation.backbone import ARCHS, VGGBackbone  # noqa: E402


def test_vgg16_parameters_match_torchvision():
    with torch.device("meta"):
        reference = torchvision.models.vgg16().features.state_dict()
        ours = VGGBackbone("vgg16").features.state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in reference.items()}


def test_pretrained_loads_from_local_file(tmp_path):
    torch.manual_seed(0)
    source = nn.Module()  # a torchvision-layout checkpoint: features + classifier, saved wrapped and prefixed
    source.features = torchvision.models.vgg.make_layers(ARCHS["vgg_tiny"])
    source.classifier = nn.Linear(16, 10)
    path = tmp_path / "vgg_tiny.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}}, path)
    backbone = VGGBackbone("vgg_tiny", pretrained=str(path))
    backbone.init_weights()
    for key, value in source.features.state_dict().items():
        assert torch.equal(backbone.features.state_dict()[key], value), key


def test_pretrained_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        VGGBackbone("vgg_tiny", pretrained=str(tmp_path / "absent.pth")).init_weights()
    torch.save({"fc.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(ConfigError, match="no 'features"):
        VGGBackbone("vgg_tiny", pretrained=str(tmp_path / "other.pth")).init_weights()
    with pytest.raises(ConfigError, match="allowed: vgg11"):
        VGGBackbone("vgg17")


def test_stage_outputs_have_the_pooled_strides():
    outs = VGGBackbone("vgg_tiny", out_indices=(2, 4))(torch.zeros(1, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(1, 16, 8, 12), (1, 16, 2, 3)]
