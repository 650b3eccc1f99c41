"""ImageNet-size input on the accelerator: JPEG bytes from DataLoader workers, decoded and augmented on the device.

The classic pipeline (PIL decode, RandomResizedCrop and flip one image at a time in DataLoader workers) keeps an
A100 on ResNet-50 waiting for the CPUs. Here the workers only read files; the training process decodes each
batch with torchvision's batched `decode_jpeg(..., device=...)` (nvJPEG on CUDA) and crops, resizes and flips on
the device with torchvision's tensor kernels. It computes what the PIL path in `data.folder_dataset` computes:

- train (`augment="imagenet"`): RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3)) with torchvision's
  sampling rule, bilinear antialiased resize, then a horizontal flip with probability 1/2;
- evaluation: Resize(size * 256 // 224 for ImageNet-sized data, else size) of the shorter side + CenterCrop(size);

as uint8 NCHW batches on the device, like every loader of this task. Pixels match the PIL path to within a
level or two (decoder and resampler rounding; tests/classification/test_device_jpeg.py). Files that the device
decoder rejects (CMYK or greyscale JPEGs on some nvJPEG versions, PNGs named .JPEG) are decoded on the CPU.

NVIDIA DALI (PyPI `nvidia-dali-cuda130`) does the same with its own kernels; it is not used because no GPU
measurement here shows it beating torchvision's decoder, and torchvision is already a dependency.
"""

from __future__ import annotations

from typing import Iterator

import torch

from dscr.engine.crops import random_resized_box


def read_bytes(path: str) -> torch.Tensor:
    """The file as a uint8 1-D tensor (the DataLoader workers' only work)."""
    from torchvision.io import read_file

    return read_file(path)


def collate_encoded(batch: list[tuple[torch.Tensor, int]]) -> tuple[list[torch.Tensor], torch.Tensor]:
    return [data for data, _ in batch], torch.tensor([label for _, label in batch], dtype=torch.int64)


def decode_batch(encoded: list[torch.Tensor], device: torch.device) -> list[torch.Tensor]:
    """RGB uint8 (3, H, W) images on `device`: one batched device decode, per-file fallbacks where it fails."""
    from torchvision.io import ImageReadMode, decode_image, decode_jpeg

    try:
        return list(decode_jpeg(encoded, mode=ImageReadMode.RGB, device=device))
    except RuntimeError:
        images = []
        for data in encoded:
            try:
                images.append(decode_jpeg(data, mode=ImageReadMode.RGB, device=device))
            except RuntimeError:  # not a JPEG, or a JPEG flavour the device decoder lacks
                images.append(decode_image(data, mode=ImageReadMode.RGB).to(device))
        return images


def resized_crops(images: list[torch.Tensor], boxes: list[tuple[int, int, int, int]], flips: torch.Tensor,
                  size: int) -> torch.Tensor:
    """Crop each image to its box, resize to size x size (bilinear, antialiased), flip where `flips`."""
    from torchvision.transforms.v2 import functional as F

    out = torch.empty((len(images), 3, size, size), dtype=torch.uint8, device=images[0].device)
    for k, (image, (top, left, h, w)) in enumerate(zip(images, boxes)):
        out[k] = F.resized_crop(image, top, left, h, w, [size, size], antialias=True)
    flips = flips.to(out.device)
    return torch.where(flips[:, None, None, None], out.flip(-1), out)


def resize_center_crops(images: list[torch.Tensor], resize: int, size: int) -> torch.Tensor:
    """Resize the shorter side to `resize` (bilinear, antialiased), then take the centred size x size crop."""
    from torchvision.transforms.v2 import functional as F

    out = torch.empty((len(images), 3, size, size), dtype=torch.uint8, device=images[0].device)
    for k, image in enumerate(images):
        out[k] = F.center_crop(F.resize(image, [resize], antialias=True), [size, size])
    return out


class DeviceJpegBatches:
    """Batches of a DataLoader over `EncodedFolder`-style (bytes, label) items, decoded and augmented on the device.

    Crop boxes and flips come from a generator seeded by (seed, epoch, rank), so an epoch's augmentation is
    reproducible; the DataLoader's sampler decides the order, as in the PIL path.
    """

    def __init__(self, loader: torch.utils.data.DataLoader, device: torch.device, *, size: int, resize: int,
                 train: bool, seed: int = 0, rank: int = 0):
        self.loader, self.device, self.size, self.resize = loader, device, size, resize
        self.train, self.seed, self.rank, self.epoch = train, seed, rank, 0
        self.num_samples = len(loader.sampler) if loader.sampler is not None else len(loader.dataset)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        if hasattr(self.loader.sampler, "set_epoch"):
            self.loader.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed((self.seed * 100_003 + self.epoch) * 997 + self.rank)
        for encoded, labels in self.loader:
            images = decode_batch(encoded, self.device)
            if self.train:
                boxes = [random_resized_box(im.shape[1], im.shape[2], g) for im in images]
                batch = resized_crops(images, boxes, torch.rand(len(images), generator=g) < 0.5, self.size)
            else:
                batch = resize_center_crops(images, self.resize, self.size)
            yield batch, labels.to(self.device, non_blocking=True)
