"""Augmentations of whole training batches on the device, after the loader: DeiT's random erasing and
Mixup / CutMix (Touvron et al. 2021), both through timm, and the loss that goes with their targets.

Order as in DeiT's code: erasing is part of each image's transform there, Mixup/CutMix mixes the batch
after it; here both run on the batch in that order. Loaders hand over uint8 images that the model
normalises itself (`data.Classifier`), so:

- random erasing (timm's `RandomErasing`, mode "pixel": each erased pixel is N(0, 1) in the normalised
  space) runs on the normalised batch, which is then mapped back to the pixel scale as float; the model's
  normalisation gives the erased pixels exactly their N(0, 1) values;
- Mixup/CutMix (timm's `Mixup`, one lambda per batch, CutMix chosen with `mixup_switch_prob`) mixes float
  images in [0, 1] and returns soft targets with the label smoothing folded in; the loss is then the
  soft-target cross-entropy. Table 9's Mixup is the case cutmix_alpha = 0, label_smoothing = 0.
"""

from __future__ import annotations

import torch
from torch import nn

from dscr.config import DscrError

from .config import TrainConfig


class BatchAugment:
    """`(uint8 images, labels) -> (model inputs, targets)`; the identity when nothing is configured."""

    def __init__(self, cfg: TrainConfig, num_classes: int, mean: tuple[float, ...], std: tuple[float, ...],
                 device: torch.device, per_rank_batch: int):
        from timm.data import Mixup
        from timm.data.random_erasing import RandomErasing

        self.mixes = cfg.mixup_alpha > 0 or cfg.cutmix_alpha > 0
        if self.mixes and per_rank_batch % 2:
            raise DscrError(f"Mixup/CutMix pair the images of a batch: the batch per process "
                            f"({per_rank_batch}) must be even")
        self.mixup = Mixup(mixup_alpha=cfg.mixup_alpha, cutmix_alpha=cfg.cutmix_alpha, prob=cfg.mixup_prob,
                           switch_prob=cfg.mixup_switch_prob, mode="batch",
                           label_smoothing=cfg.label_smoothing, num_classes=num_classes) if self.mixes else None
        self.erasing = RandomErasing(cfg.data.random_erasing, mode="pixel", device=device) \
            if cfg.data.random_erasing > 0 else None
        self.mean = torch.tensor(mean, device=device).view(1, -1, 1, 1)
        self.std = torch.tensor(std, device=device).view(1, -1, 1, 1)

    @property
    def soft_targets(self) -> bool:
        return self.mixes

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.erasing is None and self.mixup is None:
            return images, labels
        x = images.float() / 255.0
        if self.erasing is not None:
            x = self.erasing((x - self.mean) / self.std) * self.std + self.mean
        if self.mixup is not None:
            return self.mixup(x, labels)
        return x, labels


def build_criterion(cfg: TrainConfig, soft_targets: bool) -> nn.Module:
    """Soft-target cross-entropy behind Mixup/CutMix (their targets hold the smoothing), else cross-entropy
    with label smoothing (timm's LabelSmoothingCrossEntropy computes the same)."""
    if soft_targets:
        from timm.loss import SoftTargetCrossEntropy

        return SoftTargetCrossEntropy()
    return nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
