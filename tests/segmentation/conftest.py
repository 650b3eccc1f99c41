"""A tiny Pascal-VOC-layout dataset made on the fly: JPEG images plus palette PNG masks (classes 0-2, 255 borders)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CONFIGS = Path(__file__).resolve().parents[2] / "tasks" / "segmentation" / "configs"


def voc_palette() -> list[int]:
    """VOC's colour map (bit-interleaved label -> RGB), flattened for `Image.putpalette`."""
    palette = []
    for label in range(256):
        r = g = b = 0
        c = label
        for shift in range(7, -1, -1):
            r |= ((c >> 0) & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette += [r, g, b]
    return palette


def make_voc_tiny(root: Path, n_train: int = 4, n_val: int = 2, size: tuple[int, int] = (64, 48),
                  seed: int = 0) -> Path:
    """Write VOC2012-style folders under `root`; each image is a coloured background with one class-1 box and
    one class-2 disc whose colours tell the classes apart, and masks carry a 255 ("ignore") border like VOC's."""
    rng = np.random.default_rng(seed)
    w, h = size
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    names = {"train": [], "val": []}
    yy, xx = np.mgrid[:h, :w]
    for index in range(n_train + n_val):
        split = "train" if index < n_train else "val"
        name = f"2007_{index:06d}"
        label = np.zeros((h, w), np.uint8)
        x0, y0 = rng.integers(0, w // 2), rng.integers(0, h // 2)
        label[y0:y0 + h // 3, x0:x0 + w // 3] = 1
        cx, cy, r = rng.integers(w // 3, w - 8), rng.integers(h // 3, h - 8), h // 5
        label[(xx - cx) ** 2 + (yy - cy) ** 2 < r ** 2] = 2
        colours = np.array([[40, 90, 40], [220, 40, 40], [40, 40, 220]], np.float64)
        image = colours[label] + rng.normal(0, 12, (h, w, 3))
        edge = np.zeros_like(label, bool)
        edge[:, 1:] |= label[:, 1:] != label[:, :-1]
        edge[1:, :] |= label[1:, :] != label[:-1, :]
        label[edge] = 255
        Image.fromarray(image.clip(0, 255).astype(np.uint8)).save(root / "JPEGImages" / f"{name}.jpg", quality=95)
        mask = Image.fromarray(label, mode="P")
        mask.putpalette(voc_palette())
        mask.save(root / "SegmentationClass" / f"{name}.png")
        names[split].append(name)
    for split, items in names.items():
        (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(items) + "\n")
    return root


@pytest.fixture(scope="session")
def voc_tiny(tmp_path_factory) -> Path:
    return make_voc_tiny(tmp_path_factory.mktemp("voc") / "VOC2012")


def smoke_config(data_root, work_dir, *overrides):
    """The tiny smoke config pointed at `data_root`, training into `work_dir`."""
    from tasks.segmentation import train

    return train.load_config(CONFIGS / "smoke.py", [f"data_root={data_root}", f"work_dir={work_dir}", *overrides])


@pytest.fixture(scope="session")
def smoke_run(voc_tiny, tmp_path_factory):
    """The Runner after training the smoke config (SET at 50 %, 2 epochs of 2 steps) on the tiny dataset."""
    import torch

    from tasks.segmentation import train

    torch.set_num_threads(1)
    return train.main(smoke_config(voc_tiny, tmp_path_factory.mktemp("runs") / "smoke"))
