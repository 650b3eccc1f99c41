"""Video models of the paper, built with pytorchvideo's `create_resnet`, for any clip size.

pytorchvideo's hub entry points `slow_r50` and `i3d_r50` fix the head's pooling window to 8 (4) x 7 x 7, i.e.
to 8-frame 224 px clips. The entries here pass the same architecture settings (copied as data from
`pytorchvideo/models/hub/resnet.py`) to `create_resnet`, and size the head pool from the clip the model will
see: the body runs once on a shape-only ("meta") tensor, so the window always covers the whole feature map.

`create_model(name, num_classes, frames=8, crop_size=224, width=64, pretrained="")`: `width` is the stem's
output channels (64 in the published models; every stage scales with it, so width 8 gives a 0.5 M-parameter
network for tests). `pretrained` is a local Kinetics checkpoint (pytorchvideo's `.pyth`, or a plain state
dict); nothing is downloaded. Weights whose shape differs (the 400-way Kinetics classifier) are left at
their initialisation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from dscr.config import DscrError
from dscr.registry import Registry

from . import _compat  # noqa: F401  (must precede every pytorchvideo import)

# Normalisation of pytorchvideo's Kinetics models (its hub tutorial's transform), used for every model here.
KINETICS_MEAN = (0.45, 0.45, 0.45)
KINETICS_STD = (0.225, 0.225, 0.225)
# data.normalize -> (mean, std): pytorchvideo's Kinetics statistics, or ImageNet's, which Schiappa et al.
# (core/build_dataset.py) use to fine-tune the Kinetics models on UCF101
NORMALIZATION = {"kinetics": (KINETICS_MEAN, KINETICS_STD),
                 "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))}

MODELS = Registry("video model")
register_model, list_models = MODELS.register, MODELS.names


def create_model(name: str, num_classes: int, **kwargs) -> nn.Module:
    """Build a registered video model.

    Args:
        name: a name from `list_models()`.
        num_classes: size of the classifier.
        **kwargs: passed to the entry point (frames, crop_size, width, dropout, pretrained).

    Returns:
        The network: float clips (N, 3, T, H, W) -> logits (N, num_classes).
    """
    return MODELS.create(name, num_classes=num_classes, **kwargs)


def _head_pool(arch: dict[str, Any], frames: int, crop_size: int) -> tuple[int, int, int]:
    from pytorchvideo.models.resnet import create_resnet

    with torch.device("meta"):
        probe = create_resnet(head_pool_kernel_size=(1, 1, 1), **arch)
        x = torch.empty(1, 3, frames, crop_size, crop_size)
        for block in probe.blocks[:-1]:
            x = block(x)
    return tuple(x.shape[2:])


def load_pretrained(model: nn.Module, path: str | Path) -> list[str]:
    """Load a local checkpoint into `model`, skipping weights whose shape differs.

    Args:
        model: the network built by `create_model`.
        path: a pytorchvideo checkpoint (`{"model_state": ...}`) or a plain state dict.

    Returns:
        Names of the parameters left at their initialisation (shape mismatch, e.g. the classifier).
    """
    path = Path(path)
    if not path.is_file():
        raise DscrError(f"pretrained checkpoint not found: {path} (weights are never downloaded; give a local file)")
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = state.get("model_state", state)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    if missing:
        raise DscrError(f"{path} does not fit this model: {len(missing)} weights missing, e.g. {missing[0]}")
    kept = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(kept, strict=False)
    return sorted(set(own) - set(kept))


def _build(arch: dict[str, Any], num_classes: int, frames: int = 8, crop_size: int = 224, width: int = 64,
           dropout: float = 0.5, pretrained: str = "") -> nn.Module:
    from pytorchvideo.models.resnet import create_resnet

    arch = dict(arch, stem_dim_out=width)
    model = create_resnet(model_num_class=num_classes, dropout_rate=dropout,
                          head_pool_kernel_size=_head_pool(arch, frames, crop_size), **arch)
    if pretrained:
        load_pretrained(model, pretrained)
    return model


# Architecture settings of pytorchvideo's hub entry points (pytorchvideo 0.1.5, models/hub/resnet.py).
SLOW_R50 = dict(model_depth=50, stem_conv_kernel_size=(1, 7, 7))
I3D_R50 = dict(model_depth=50, stem_conv_kernel_size=(5, 7, 7), stage1_pool=nn.MaxPool3d,
               stage_conv_a_kernel_size=((3, 1, 1), [(3, 1, 1), (1, 1, 1)], [(3, 1, 1), (1, 1, 1)],
                                         [(1, 1, 1), (3, 1, 1)]))


@register_model
def r3d50(num_classes: int, **kwargs) -> nn.Module:
    """3D ResNet-50: the `slow_r50` architecture (the Slow pathway of SlowFast, Feichtenhofer et al. 2019),
    temporal convolutions in stages 4-5 only, no temporal downsampling."""
    return _build(SLOW_R50, num_classes, **kwargs)


@register_model
def i3d_r50(num_classes: int, **kwargs) -> nn.Module:
    """I3D-R50 (Carreira & Zisserman 2017, in pytorchvideo's ResNet form): 5x7x7 stem, temporal max-pool
    after stage 2, inflated 3x1x1 convolutions alternating through the stages."""
    return _build(I3D_R50, num_classes, **kwargs)


class VideoClassifier(nn.Module):
    """A network behind a fixed normalisation, fed uint8 (or [0, 1] float) clips (N, 3, T, H, W)."""

    def __init__(self, net: nn.Module, mean: tuple[float, ...] = KINETICS_MEAN,
                 std: tuple[float, ...] = KINETICS_STD):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1, 1) * 255.0, persistent=False)
        self.register_buffer("inv_std", 1.0 / (torch.tensor(std).view(1, -1, 1, 1, 1) * 255.0),
                             persistent=False)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        x = clips.float() if clips.dtype == torch.uint8 else clips * 255.0
        return self.net((x - self.mean) * self.inv_std)
