"""Batches for classification training and evaluation.

Every loader yields `(images, labels)` with images as uint8 NCHW tensors on the training device; the model
(see `Classifier`) converts and normalises them. Keeping uint8 to the end means the corruption engine sees
exactly the pixels a saved corrupted dataset would hold.

- `DeviceArrayLoader`: CIFAR-sized array datasets live on the device as one uint8 tensor; shuffling, random
  crop and flip run there on whole batches (no per-image PIL work).
- `folder_loader`: image-folder datasets (Tiny-ImageNet, ImageNet) through a DataLoader with PIL transforms
  (ImageNet-style training crops, RandAugment and repeated augmentation from timm, as DeiT uses them);
  `device_jpeg_loader`: the same folders decoded and augmented on the GPU in batches (see `device_jpeg`).

Random erasing and Mixup/CutMix act on whole batches on the device: see `batch_augment.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import nn

from dscr.config import DscrError

from .datasets import DatasetInfo, load_arrays


class Classifier(nn.Module):
    """A network behind a fixed input normalisation, fed uint8 (or [0, 1] float) images."""

    def __init__(self, net: nn.Module, mean: tuple[float, ...], std: tuple[float, ...]):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1) * 255.0, persistent=False)
        self.register_buffer("inv_std", 1.0 / (torch.tensor(std).view(1, -1, 1, 1) * 255.0), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dtype == torch.uint8:
            x = (images.float() - self.mean) * self.inv_std
        else:
            x = (images * 255.0 - self.mean) * self.inv_std
        return self.net(x)


def subset_indices(n: int, size: int, seed: int = 0) -> np.ndarray:
    """A fixed training subset: the first `size` items of a seeded permutation, sorted (all when size <= 0)."""
    if size <= 0 or size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).permutation(n)[:size])


def first(n: int, size: int) -> np.ndarray:
    """Test subsets are the first `size` items, as `dscr corrupt --limit` writes them (the stored order is
    already class-mixed)."""
    return np.arange(n if size <= 0 else min(size, n))


class DeviceArrayLoader:
    """Shuffled batches from uint8 images held on the device, with batched random crop + flip.

    Data order and augmentation depend only on (seed, epoch, rank), so a run resumed at an epoch boundary
    sees exactly the batches an uninterrupted run would. Under DDP each rank takes an equal shard of the
    same permutation (like DistributedSampler with drop_last).
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int, device: torch.device, *,
                 train: bool, augment: str = "none", seed: int = 0, rank: int = 0, world_size: int = 1,
                 pad: int = 4):
        self.images = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous().to(device)
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(device)
        self.batch_size, self.device, self.train = batch_size, device, train
        self.augment, self.seed, self.rank, self.world_size, self.pad = augment, seed, rank, world_size, pad
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _indices(self) -> torch.Tensor:
        n = len(self.labels)
        if not self.train:  # evaluation: every item once, split across ranks
            return torch.arange(self.rank, n, self.world_size)
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        perm = torch.randperm(n, generator=g)
        per_rank = n // self.world_size
        return perm[self.rank * per_rank:(self.rank + 1) * per_rank]

    def __len__(self) -> int:
        n = len(self._indices())
        return n // self.batch_size if self.train else -(-n // self.batch_size)

    @property
    def num_samples(self) -> int:
        return len(self) * self.batch_size if self.train else len(self._indices())

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        indices = self._indices().to(self.device)
        g = torch.Generator().manual_seed((self.seed * 100_003 + self.epoch) * 997 + self.rank)
        for b in range(len(self)):
            idx = indices[b * self.batch_size:(b + 1) * self.batch_size]
            images = self.images[idx]
            if self.train and self.augment == "crop_flip":
                images = self._crop_flip(images, g)
            yield images, self.labels[idx]

    def _crop_flip(self, images: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        # RandomCrop(size, padding=pad) with zero fill + RandomHorizontalFlip, for the whole batch at once.
        n, _, h, w = images.shape
        p = self.pad
        offsets = torch.randint(0, 2 * p + 1, (2, n), generator=g).to(self.device)
        flips = (torch.rand(n, generator=g) < 0.5).to(self.device)
        padded = nn.functional.pad(images, (p, p, p, p))
        rows = (offsets[0, :, None] + torch.arange(h, device=self.device))[:, None, :, None]
        cols = offsets[1, :, None] + torch.arange(w, device=self.device)
        cols = torch.where(flips[:, None], cols.flip(1), cols)[:, None, None, :]
        batch = torch.arange(n, device=self.device)[:, None, None, None]
        chans = torch.arange(images.shape[1], device=self.device)[None, :, None, None]
        return padded[batch, chans, rows, cols]


def array_loaders(info: DatasetInfo, root: str, batch_size: int, device: torch.device, *, augment: str,
                  train_subset: int, test_subset: int, seed: int, rank: int, world_size: int,
                  eval_batch_size: int = 500) -> tuple[DeviceArrayLoader, DeviceArrayLoader]:
    train_x, train_y = load_arrays(info.name, root, "train")
    test_x, test_y = load_arrays(info.name, root, "test")
    tr, te = subset_indices(len(train_y), train_subset), first(len(test_y), test_subset)
    if train_x.ndim == 3:  # grey images stored N x H x W
        train_x, test_x = train_x[..., None], test_x[..., None]
    train = DeviceArrayLoader(train_x[tr], train_y[tr], batch_size, device, train=True, augment=augment,
                              seed=seed, rank=rank, world_size=world_size)
    test = DeviceArrayLoader(test_x[te], test_y[te], eval_batch_size, device, train=False, rank=rank,
                             world_size=world_size)
    return train, test


# --- image-folder datasets ----------------------------------------------------------------------------

class _DeviceBatches:
    """Moves a DataLoader's batches to the device; forwards set_epoch to its DistributedSampler."""

    def __init__(self, loader: torch.utils.data.DataLoader, device: torch.device):
        self.loader, self.device = loader, device
        self.num_samples = len(loader.sampler) if loader.sampler is not None else len(loader.dataset)

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.loader.sampler, "set_epoch"):
            self.loader.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        for images, labels in self.loader:
            yield images.to(self.device, non_blocking=True), labels.to(self.device, non_blocking=True)


def _tiny_imagenet_val(root: Path, transform, loader):
    """Tiny-ImageNet's val split: images/ plus val_annotations.txt mapping file -> class id."""
    from torchvision.datasets import ImageFolder

    classes = sorted(p.name for p in (root / "train").iterdir() if p.is_dir())
    index = {c: i for i, c in enumerate(classes)}
    samples = []
    for line in (root / "val" / "val_annotations.txt").read_text().splitlines():
        fname, wnid = line.split("\t")[:2]
        samples.append((str(root / "val" / "images" / fname), index[wnid]))
    dataset = ImageFolder.__new__(ImageFolder)
    dataset.root, dataset.loader, dataset.transform, dataset.target_transform = str(root), loader, transform, None
    dataset.classes, dataset.class_to_idx, dataset.samples = classes, index, samples
    dataset.targets = [s[1] for s in samples]
    dataset.imgs = samples
    return dataset


def imagenet_train_transforms(size: int, interpolation: str, rand_augment: str,
                              mean: tuple[float, ...]) -> list:
    """timm's ImageNet training transforms without their tensor stage: RandomResizedCrop (scale 0.08-1, the
    given interpolation) and horizontal flip, then RandAugment when a policy is given (DeiT:
    rand-m9-mstd0.5-inc1; timm then leaves colour jitter off, as in DeiT's runs)."""
    from timm.data import create_transform

    primary, secondary, _ = create_transform(size, is_training=True, interpolation=interpolation,
                                             auto_augment=rand_augment or None, color_jitter=None, mean=mean,
                                             separate=True)
    return list(primary.transforms) + list(secondary.transforms)


def eval_resize(info: DatasetInfo, size: int) -> int:
    """The shorter side evaluation images are resized to before the centred size x size crop."""
    return size * 256 // 224 if info.image_size >= 224 else size


def folder_dataset(info: DatasetInfo, root: str, split: str, image_size: int, augment: str, *,
                   rand_augment: str = "", interpolation: str = "bilinear", encoded: bool = False):
    """An ImageFolder of uint8 CHW tensors through PIL transforms, or (`encoded`) of the undecoded file bytes
    for `device_jpeg_loader`, which applies the same transforms on the device."""
    from torchvision import transforms as T
    from torchvision.datasets import ImageFolder
    from torchvision.datasets.folder import default_loader

    base = Path(root) / {"tinyimagenet": "tiny-imagenet-200"}.get(info.name, info.name)
    if not (base / "train").is_dir():
        raise DscrError(f"data missing: {base}/train not found; place the {info.name} folder layout there "
                        f"(see tasks/classification/README.md)")
    size = image_size or info.image_size
    resample = T.InterpolationMode(interpolation)
    if split == "train" and augment == "imagenet":
        tf = imagenet_train_transforms(size, interpolation, rand_augment, info.mean)
    elif split == "train" and augment == "crop_flip":
        tf = [T.Resize(size, resample), T.RandomCrop(size, padding=size // 8), T.RandomHorizontalFlip()]
    else:
        tf = [T.Resize(eval_resize(info, size), resample), T.CenterCrop(size)]
    transform, loader = T.Compose(tf + [T.PILToTensor()]), default_loader
    if encoded:
        from .device_jpeg import read_bytes

        transform, loader = None, read_bytes
    if info.name == "tinyimagenet" and split != "train":
        return _tiny_imagenet_val(base, transform, loader)
    return ImageFolder(str(base / ("train" if split == "train" else "val")), transform, loader=loader)


def _data_loader(dataset, batch_size: int, device: torch.device, *, train: bool, num_workers: int, seed: int,
                 rank: int, world_size: int, repeat_aug: int = 1, collate_fn=None) -> torch.utils.data.DataLoader:
    from torch.utils.data import DataLoader, DistributedSampler

    sampler = None
    if train and repeat_aug > 1:
        from timm.data.distributed_sampler import RepeatAugSampler

        sampler = RepeatAugSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True,
                                   num_repeats=repeat_aug)
    elif world_size > 1:
        sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=train, seed=seed,
                                     drop_last=train)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=train and sampler is None, sampler=sampler,
                      num_workers=num_workers, pin_memory=device.type == "cuda", drop_last=train,
                      generator=generator, persistent_workers=num_workers > 0, collate_fn=collate_fn)


def folder_loader(dataset, batch_size: int, device: torch.device, *, train: bool, num_workers: int,
                  seed: int, rank: int, world_size: int, repeat_aug: int = 1) -> _DeviceBatches:
    """Batches of `dataset` on the device; `repeat_aug` > 1 (training): timm's RepeatAugSampler, as DeiT's
    RASampler (each image `repeat_aug` times, spread over the ranks; an epoch keeps the dataset's length,
    rounded down to a multiple of 256)."""
    return _DeviceBatches(_data_loader(dataset, batch_size, device, train=train, num_workers=num_workers,
                                       seed=seed, rank=rank, world_size=world_size, repeat_aug=repeat_aug), device)


def device_jpeg_loader(info: DatasetInfo, root: str, split: str, image_size: int, batch_size: int,
                       device: torch.device, *, num_workers: int, seed: int, rank: int, world_size: int,
                       repeat_aug: int = 1):
    """A folder split decoded and augmented on `device` (`augment="imagenet"` for training)."""
    from .device_jpeg import DeviceJpegBatches, collate_encoded

    train = split == "train"
    dataset = folder_dataset(info, root, split, image_size, "imagenet" if train else "none", encoded=True)
    loader = _data_loader(dataset, batch_size, device, train=train, num_workers=num_workers, seed=seed,
                          rank=rank, world_size=world_size, repeat_aug=repeat_aug, collate_fn=collate_encoded)
    size = image_size or info.image_size
    return DeviceJpegBatches(loader, device, size=size, resize=eval_resize(info, size), train=train, seed=seed,
                             rank=rank)


def decodes_on_device(decode: str, augment: str, device: torch.device, *, rand_augment: str = "",
                      interpolation: str = "bilinear") -> bool:
    """Whether folder data goes through `device_jpeg_loader`: asked for, or (auto) on CUDA where the augmentation
    is one the device path implements (RandomResizedCrop + flip, bilinear; no RandAugment)."""
    supported = augment == "imagenet" and not rand_augment and interpolation == "bilinear"
    if decode == "device" and not supported:
        raise DscrError(f"data.decode=device implements augment=imagenet with bilinear interpolation and no "
                        f"rand_augment (got augment={augment}, interpolation={interpolation}, "
                        f"rand_augment='{rand_augment}'); use data.decode=pil")
    return decode == "device" or (decode == "auto" and device.type == "cuda" and supported)
