"""Grad-CAM (appendix A.10, figure 19) through pytorch-grad-cam: heatmaps of several models on the same clean
and corrupted images, side by side in one PNG grid, plus the size of the highlighted region per map.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

AREA_THRESHOLD = 0.5  # a pixel is "highlighted" when its normalised CAM value reaches this


def last_conv(model: nn.Module) -> nn.Module:
    """The deepest Conv2d of a model (the usual Grad-CAM target layer)."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError("the model has no Conv2d layer to explain")
    return convs[-1]


def gradcam_maps(model: nn.Module, images: torch.Tensor, targets: torch.Tensor | None = None,
                 layer: nn.Module | None = None) -> np.ndarray:
    """Grad-CAM heatmaps, each normalised to [0, 1] by pytorch-grad-cam.

    Args:
        model: a classifier taking [0, 1] float (N, C, H, W) images (dscr classifiers take uint8 or [0, 1]).
        images: uint8 or [0, 1] float images, on the model's device.
        targets: the class to explain per image (default: each model's own prediction).
        layer: the target layer (default: `last_conv(model)`).

    Returns:
        float32 array (N, H, W).
    """
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
    was_training = model.training
    model.eval()
    cam_targets = None if targets is None else [ClassifierOutputTarget(int(t)) for t in targets]
    try:
        with GradCAM(model=model, target_layers=[layer or last_conv(model)]) as cam:
            maps = cam(input_tensor=x, targets=cam_targets)
    finally:
        model.train(was_training)
    return np.asarray(maps, dtype=np.float32)


def highlighted_area(maps: np.ndarray, threshold: float = AREA_THRESHOLD) -> np.ndarray:
    """Fraction of each map's pixels at or above `threshold` (the size of the attended region)."""
    return (maps >= threshold).reshape(len(maps), -1).mean(axis=1)


def overlay(image_uint8_chw: np.ndarray, cam: np.ndarray) -> np.ndarray:
    """The heatmap blended over the image (pytorch-grad-cam's `show_cam_on_image`), uint8 HWC RGB."""
    from pytorch_grad_cam.utils.image import show_cam_on_image

    rgb = np.transpose(image_uint8_chw, (1, 2, 0)).astype(np.float32) / 255.0
    if rgb.shape[2] == 1:
        rgb = np.repeat(rgb, 3, axis=2)
    return show_cam_on_image(rgb, cam, use_rgb=True)


def plot_grid(rows: list[dict], models: list[str], path: str | Path) -> Path:
    """One PNG: a row per (image, condition), the input then one overlay per model.

    Args:
        rows: {"title": str, "image": uint8 CHW array, "cams": {model: HxW array}, "predicted": {model: str}}.
        models: column order.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dscr.report.tables import save_figure

    fig, axes = plt.subplots(len(rows), 1 + len(models), figsize=(1.6 * (1 + len(models)), 1.6 * len(rows)),
                             squeeze=False)
    for r, row in enumerate(rows):
        image = np.transpose(row["image"], (1, 2, 0)).squeeze()
        axes[r, 0].imshow(image, cmap="gray" if image.ndim == 2 else None)
        axes[r, 0].set_ylabel(row["title"], fontsize=6)
        for c, name in enumerate(models, start=1):
            axes[r, c].imshow(overlay(row["image"], row["cams"][name]))
            if r == 0:
                axes[r, c].set_title(name, fontsize=7)
            axes[r, c].set_xlabel(row["predicted"].get(name, ""), fontsize=5)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title("input", fontsize=7)
    path = save_figure(fig, path)
    plt.close(fig)
    return path
