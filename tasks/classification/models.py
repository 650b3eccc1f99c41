"""Classification models of the paper, built with torchvision/timm builders where they exist.

`create_model(name, num_classes, **kwargs)` looks a name up in a small registry (timm style); every
entry point fixes the architecture and passes the user's keyword arguments through.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from dscr.config import DscrError
from dscr.registry import Registry

MODELS = Registry("model")
register_model, list_models = MODELS.register, MODELS.names


# The layers of the paper's filter analyses (appendix A.5: figure 16, VGG16 on CIFAR-10; figure 17, ResNet34 on
# CIFAR-100), the paper's module name -> ours inside the network. Our VGG16 is torchvision's `features` of
# configuration D with BatchNorm as its first child, so features.<i> is "0.<i>" (i = 20, 30, 40: the third conv
# of blocks 3, 4 and 5); the ResNets are torchvision's and keep their names.
PAPER_FILTER_LAYERS: dict[str, dict[str, str]] = {
    "vgg16": {"features.20": "0.20", "features.30": "0.30", "features.40": "0.40"},
    "resnet34": {name: name for name in ("layer2.0.conv2", "layer2.1.conv1", "layer3.3.conv2")},
}


def create_model(name: str, num_classes: int, **kwargs) -> nn.Module:
    # Builders ignore keywords they do not know; a regulariser that would be ignored is refused instead.
    if kwargs.get("drop_path") and "drop_path" not in inspect.signature(MODELS.get(name)).parameters:
        raise DscrError(f"model.drop_path: model '{name}' has no stochastic depth (deit_base has)")
    return MODELS.create(name, num_classes=num_classes, **kwargs)


@register_model
def vgg16(num_classes: int, **_) -> nn.Module:
    """VGG16 with BatchNorm in the CIFAR form of the sparselearning code the paper builds on: the 13 conv
    layers of configuration D, then a 512-512-512-classes head (15.25 M parameters for 10 classes)."""
    from torchvision.models.vgg import cfgs, make_layers

    features = make_layers(cfgs["D"], batch_norm=True)
    head = nn.Sequential(
        nn.Flatten(),
        nn.Linear(512, 512), nn.ReLU(inplace=True), nn.BatchNorm1d(512),
        nn.Linear(512, 512), nn.ReLU(inplace=True), nn.BatchNorm1d(512),
        nn.Linear(512, num_classes),
    )
    # CIFAR inputs (32 px) leave 1x1 after five poolings; adaptive pooling keeps larger inputs working.
    return nn.Sequential(features, nn.AdaptiveAvgPool2d(1), head)


def _cifar_stem(model: nn.Module) -> nn.Module:
    # 32 px inputs: a 3x3 stride-1 first conv and no max-pool, as in the CIFAR ResNets of the DST literature.
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


@register_model
def resnet18(num_classes: int, cifar_stem: bool = True, **_) -> nn.Module:
    from torchvision.models import resnet18 as build

    model = build(num_classes=num_classes)
    return _cifar_stem(model) if cifar_stem else model


@register_model
def resnet34(num_classes: int, cifar_stem: bool = True, **_) -> nn.Module:
    from torchvision.models import resnet34 as build

    model = build(num_classes=num_classes)
    return _cifar_stem(model) if cifar_stem else model


@register_model
def resnet50(num_classes: int, cifar_stem: bool = False, **_) -> nn.Module:
    from torchvision.models import resnet50 as build

    model = build(num_classes=num_classes)
    return _cifar_stem(model) if cifar_stem else model


@register_model
def efficientnet_b0(num_classes: int, **_) -> nn.Module:
    from torchvision.models import efficientnet_b0 as build

    return build(num_classes=num_classes)


@register_model
def deit_base(num_classes: int, image_size: int = 224, drop_path: float = 0.0, **_) -> nn.Module:
    """DeiT-base (timm's deit_base_patch16_224, 86.6 M parameters); `drop_path` is timm's stochastic depth
    rate (DeiT: 0.1), decaying linearly over the blocks."""
    import timm

    return timm.create_model("deit_base_patch16_224", pretrained=False, num_classes=num_classes,
                             img_size=image_size, drop_path_rate=drop_path)


@register_model
def mlp(num_classes: int, in_features: int = 784, hidden: int = 1000, depth: int = 3, **_) -> nn.Module:
    """The Fashion-MNIST MLP of Table 8 (784-1000-1000-1000-10, ReLU), as in the CHT papers."""
    layers: list[nn.Module] = [nn.Flatten()]
    width = in_features
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU(inplace=True)]
        width = hidden
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


class _BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # In-place ReLUs (as torchvision's ResNets): same values, one large allocation less per call; the smoke
        # model's CPU training step is 8-10 % cheaper (measured).
        out = torch.relu_(self.bn1(self.conv1(x)))
        return torch.relu_(self.bn2(self.conv2(out)) + self.shortcut(x))


@register_model
def resnet_tiny(num_classes: int, width: int = 16, **_) -> nn.Module:
    """A three-stage CIFAR ResNet (one basic block per stage, widths w-2w-4w) for the smoke scenario,
    CPU demos and tests: about 0.17 M parameters at width 16."""
    widths = [width, 2 * width, 4 * width]
    layers: list[nn.Module] = [nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]),
                               nn.ReLU(inplace=True)]
    cin = widths[0]
    for i, w in enumerate(widths):
        layers.append(_BasicBlock(cin, w, stride=1 if i == 0 else 2))
        cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes)]
    return nn.Sequential(*layers)
