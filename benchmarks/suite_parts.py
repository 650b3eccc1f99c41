"""Pieces of benchmarks/gpu_suite.py: a plain timed training loop, the classic CIFAR DataLoader + PIL input, and a
synthetic ImageNet-style JPEG folder."""

from __future__ import annotations

import io
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch
from torch import nn

CLASSES = 10


def timed_train_steps(model: nn.Module, batches, device: torch.device, *, amp: bool, channels_last: bool,
                      steps: int, warmup: int = 3) -> float:
    """Images/s of `steps` plain SGD steps (fwd, bwd, step) after `warmup` untimed ones; wall clock after a
    CUDA synchronisation."""
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    model.train()
    seen, start = 0, 0.0
    batches = iter(batches)
    for step in range(warmup + steps):
        if step == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
        images, labels = next(batches)
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        seen += labels.shape[0] if step >= warmup else 0
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return seen / (time.perf_counter() - start)


class PILCifar(torch.utils.data.Dataset):
    """The classic CIFAR pipeline: one PIL image at a time, RandomCrop(32, 4) + flip, ToTensor + Normalize."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        from torchvision import transforms as T

        from tasks.classification.datasets import get_info

        info = get_info("cifar10")
        self.images, self.labels = images, labels
        self.transform = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                                    T.Normalize(info.mean, info.std)])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        from PIL import Image

        return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])


def pil_cifar_loader(data_root: str, batch_size: int, *, workers: int, pin: bool, images: int = 20_000):
    from tasks.classification.datasets import load_arrays

    x, y = load_arrays("cifar10", data_root, "train")
    return torch.utils.data.DataLoader(PILCifar(np.asarray(x[:images]), y[:images]), batch_size=batch_size,
                                       shuffle=True, num_workers=workers, pin_memory=pin, drop_last=True,
                                       persistent_workers=workers > 0)


def _photo_jpeg(args: tuple[int, int, bool]) -> bytes:
    """A photo-like JPEG (smooth colour field + texture + grain, quality 90) of ImageNet's typical size:
    long side 500, short side 330-400 (about 100 KB, as ImageNet's training images average)."""
    seed, scale, portrait = args
    rng = np.random.default_rng(seed)
    from PIL import Image

    short = int(rng.integers(330, 401))
    h, w = (500 // scale, short // scale) if portrait else (short // scale, 500 // scale)
    coarse = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
    texture = Image.fromarray(rng.integers(0, 256, (max(1, h // 4), max(1, w // 4), 3), dtype=np.uint8))
    pixels = (np.asarray(coarse, np.int16) * 3 + np.asarray(texture.resize((w, h), Image.BILINEAR), np.int16)) // 4
    pixels = pixels + rng.integers(-28, 29, (h, w, 3))
    buffer = io.BytesIO()
    Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def jpeg_folder(root: Path, train_images: int, val_per_class: int, scale: int = 1) -> tuple[Path, float]:
    """`root/imagenet/{train,val}/<class>/*.JPEG` over 10 classes; returns (the data root, mean file size KB).
    `scale` > 1 shrinks the images (for CPU checks)."""
    jobs = [(k, scale, k % 4 == 0) for k in range(train_images + CLASSES * val_per_class)]
    with Pool() as pool:
        files = pool.map(_photo_jpeg, jobs, chunksize=16)
    for k, data in enumerate(files):
        split, index = ("train", k) if k < train_images else ("val", k - train_images)
        folder = root / "imagenet" / split / f"n{index % CLASSES:08d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{index:07d}.JPEG").write_bytes(data)
    return root, float(np.mean([len(f) for f in files[:train_images]]) / 1e3)
