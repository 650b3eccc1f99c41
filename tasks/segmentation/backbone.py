"""A VGG backbone for mmsegmentation (which has none), built from torchvision's VGG feature layers.

The layers are torchvision's own `vgg.make_layers`, so the parameter names are exactly those of
`torchvision.models.vgg16().features` (`features.0.weight`, ... `features.28.bias`): an ImageNet checkpoint in
torchvision's layout (e.g. `vgg16-397923af.pth`, or Caffe VGG16 weights converted to that layout) loads from a
local path with no renaming. The classifier (fc6-fc8) is not part of the backbone: FCN's head replaces it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import nn
from torchvision.models import vgg

from dscr.config import ConfigError

# Named layer layouts (torchvision's cfg letters); "M" is a 2x2 max-pool closing a stage.
ARCHS = {"vgg11": vgg.cfgs["A"], "vgg13": vgg.cfgs["B"], "vgg16": vgg.cfgs["D"], "vgg19": vgg.cfgs["E"],
         # a few-thousand-parameter variant with the same five-stage, stride-32 structure, for tests
         "vgg_tiny": [8, "M", 8, "M", 16, "M", 16, "M", 16, "M"]}


@MODELS.register_module()
class VGGBackbone(BaseModule):
    """VGG conv stages (torchvision layout) returning the feature maps after the chosen pools.

    Args:
        arch: a name from `ARCHS` or an explicit layer list (ints are 3x3 conv widths, "M" a max-pool).
        out_indices: stages (0-based, one per max-pool) whose pooled outputs `forward` returns.
        batch_norm: insert BatchNorm after each conv (the vgg*_bn layouts).
        pretrained: local path to a torchvision-layout VGG checkpoint loaded in `init_weights`; None leaves
            torchvision's random initialisation.
        init_cfg: mmengine initialisation config (used only when `pretrained` is None).
    """

    def __init__(self, arch: str | Sequence = "vgg16", out_indices: Sequence[int] = (4,),
                 batch_norm: bool = False, pretrained: str | None = None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        layout = ARCHS.get(arch) if isinstance(arch, str) else list(arch)
        if layout is None:
            raise ConfigError(f"backbone arch '{arch}' is unknown; allowed: {', '.join(ARCHS)} or a layer list")
        self.features = vgg.make_layers(layout, batch_norm=batch_norm)
        # Index (in `features`) of the max-pool closing each stage.
        self.stage_ends = [i for i, layer in enumerate(self.features) if isinstance(layer, nn.MaxPool2d)]
        bad = [i for i in out_indices if not 0 <= i < len(self.stage_ends)]
        if bad:
            raise ConfigError(f"backbone out_indices {list(out_indices)}: {bad} out of range; allowed: "
                              f"0..{len(self.stage_ends) - 1}")
        self.out_indices = tuple(out_indices)
        self.pretrained = pretrained

    def init_weights(self) -> None:
        if self.pretrained is None:
            super().init_weights()
            return
        self.features.load_state_dict(load_vgg_features(self.pretrained))
        self._is_init = True  # tells mmengine not to re-initialise these weights

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        outs, wanted = [], {self.stage_ends[i] for i in self.out_indices}
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in wanted:
                outs.append(x)
        return tuple(outs)


def load_vgg_features(path: str | Path) -> dict[str, torch.Tensor]:
    """Read the `features.*` tensors of a VGG checkpoint in torchvision's layout.

    Accepts a bare state dict or one wrapped under "state_dict"/"model", with optional "module." or
    "backbone." prefixes. Loaded with `weights_only=True`: a weights file needs no pickled objects.

    Args:
        path: local file.

    Returns:
        The state dict of `features` (keys without the "features." prefix).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"pretrained backbone weights not found: {path} (give a local torchvision VGG file)")
    state = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    features = {}
    for key, value in state.items():
        for prefix in ("module.", "backbone."):
            key = key.removeprefix(prefix)
        if key.startswith("features."):
            features[key.removeprefix("features.")] = value
    if not features:
        raise ConfigError(f"{path} holds no 'features.*' tensors; expected a torchvision-layout VGG checkpoint")
    return features
