"""The device JPEG pipeline (decode + RandomResizedCrop + flip in batches) against the PIL path it replaces on
GPUs, run here on the CPU device: same crop-box distribution as torchvision's RandomResizedCrop, the same pixels
for the same boxes and for evaluation, the same output statistics, and a training run through it."""

import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from dscr.config import DscrError, load_config
from dscr.engine.crops import random_resized_box
from dscr.engine.distributed import WorldInfo
from tasks.classification import train
from tasks.classification.config import TrainConfig
from tasks.classification.data import decodes_on_device, device_jpeg_loader, folder_dataset, folder_loader
from tasks.classification.datasets import get_info
from tasks.classification.device_jpeg import DeviceJpegBatches, decode_batch, resized_crops

IMAGENET = get_info("imagenet")


def smooth_image(rng: np.random.Generator, height: int, width: int) -> Image.Image:
    """A photo-like image: a coarse random field upsampled, plus mild noise (JPEG sizes like real photos)."""
    coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize((width, height), Image.BICUBIC)
    noisy = np.asarray(coarse, dtype=np.int16) + rng.integers(-12, 13, (height, width, 3))
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def jpeg_root(tmp_path_factory):
    """data/imagenet/{train,val}/<class>/*.JPEG: 2 classes x 8 images of 90-200 px sides, one greyscale JPEG
    and one PNG under a .JPEG name (both exist in ImageNet)."""
    root = tmp_path_factory.mktemp("jpegs")
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for c in ("n01", "n02"):
            folder = root / "imagenet" / split / c
            folder.mkdir(parents=True)
            for k in range(8):
                image = smooth_image(rng, int(rng.integers(90, 160)), int(rng.integers(120, 200)))
                kind = {0: ("L", "JPEG"), 1: ("RGB", "PNG")}.get(k if c == "n02" else -1, ("RGB", "JPEG"))
                buffer = io.BytesIO()
                image.convert(kind[0]).save(buffer, format=kind[1], **({"quality": 90} if kind[1] == "JPEG" else {}))
                (folder / f"{c}_{k}.JPEG").write_bytes(buffer.getvalue())
    return root


def pil_images(dataset):
    from torchvision.datasets.folder import default_loader

    return [default_loader(path) for path, _ in dataset.samples]


def test_crop_boxes_follow_torchvision_random_resized_crop():
    from torchvision import transforms as T

    g = torch.Generator().manual_seed(0)
    for height, width in ((375, 500), (60, 400)):  # a photo; a strip where most draws fail (centre fallback)
        ours = np.array([random_resized_box(height, width, g) for _ in range(3000)], dtype=float)
        torch.manual_seed(1)
        image = torch.zeros(3, height, width)
        ref = np.array([T.RandomResizedCrop.get_params(image, [0.08, 1.0], [3 / 4, 4 / 3]) for _ in range(3000)],
                       dtype=float)
        for boxes in (ours, ref):
            assert (boxes[:, 0] + boxes[:, 2] <= height).all() and (boxes[:, 1] + boxes[:, 3] <= width).all()
        features = lambda b: {"area": b[:, 2] * b[:, 3] / (height * width), "aspect": b[:, 3] / b[:, 2],  # noqa: E731
                              "top": b[:, 0] / height, "left": b[:, 1] / width}
        for name, (a, r) in {k: (features(ours)[k], features(ref)[k]) for k in features(ours)}.items():
            grid = np.sort(np.concatenate([a, r]))
            ks = np.abs(np.searchsorted(np.sort(a), grid, "right") - np.searchsorted(np.sort(r), grid, "right")).max()
            assert ks / len(a) < 0.045, (height, width, name, ks / len(a))  # two-sample KS, p ~ 0.005


def test_same_boxes_give_the_pil_pixels(jpeg_root):
    """Decode + crop + resize + flip on the device path equals torchvision's PIL path box for box."""
    from torchvision.transforms import functional as TF

    dataset = folder_dataset(IMAGENET, jpeg_root, "train", 48, "imagenet", encoded=True)
    encoded = [dataset[i][0] for i in range(len(dataset))]
    images = decode_batch(encoded, torch.device("cpu"))
    g = torch.Generator().manual_seed(3)
    boxes = [random_resized_box(im.shape[1], im.shape[2], g) for im in images]
    flips = torch.arange(len(images)) % 2 == 1
    ours = resized_crops(images, boxes, flips, 48)
    for k, pil in enumerate(pil_images(dataset)):
        assert images[k].shape[1:] == (pil.height, pil.width)
        crop = TF.resized_crop(pil, *boxes[k], [48, 48])
        ref = TF.pil_to_tensor(TF.hflip(crop) if flips[k] else crop)
        diff = (ours[k].int() - ref.int()).abs()
        assert diff.float().mean() < 0.4 and diff.max() <= 2, (k, diff.float().mean(), diff.max())


def test_evaluation_batches_equal_the_pil_loader(jpeg_root):
    common = dict(num_workers=0, seed=0, rank=0, world_size=1)
    ours = device_jpeg_loader(IMAGENET, jpeg_root, "val", 64, 5, torch.device("cpu"), **common)
    ref = folder_loader(folder_dataset(IMAGENET, jpeg_root, "val", 64, "none"), 5, torch.device("cpu"), train=False,
                        **common)
    assert len(ours) == len(ref) == 4 and ours.num_samples == 16
    for (x, y), (x_ref, y_ref) in zip(ours, ref):
        assert x.dtype == torch.uint8 and x.shape[1:] == (3, 64, 64) and torch.equal(y, y_ref)
        diff = (x.int() - x_ref.int()).abs()
        assert diff.float().mean() < 0.4 and diff.max() <= 2


def test_training_batches_have_the_pil_statistics(jpeg_root):
    """Independent draws on both sides: per-channel mean and spread of the crops agree over many epochs,
    and half the images are flipped (the left-right brightness balance of the smooth fields agrees)."""
    common = dict(num_workers=0, seed=0, rank=0, world_size=1)
    ours = device_jpeg_loader(IMAGENET, jpeg_root, "train", 24, 8, torch.device("cpu"), **common)
    torch.manual_seed(0)
    ref = folder_loader(folder_dataset(IMAGENET, jpeg_root, "train", 24, "imagenet"), 8, torch.device("cpu"),
                        train=True, **common)
    stats = {}
    for name, loader in (("ours", ours), ("pil", ref)):
        batches = []
        for epoch in range(40):
            loader.set_epoch(epoch)
            batches += [x.float() for x, _ in loader]
        x = torch.cat(batches)
        stats[name] = (x.mean((0, 2, 3)), x.std((0, 2, 3)), (x[..., :12].mean() - x[..., 12:].mean()).abs())
    assert len(batches) == 40 * 2
    torch.testing.assert_close(stats["ours"][0], stats["pil"][0], rtol=0, atol=2.5)
    torch.testing.assert_close(stats["ours"][1], stats["pil"][1], rtol=0, atol=2.5)
    assert math.isclose(stats["ours"][2], stats["pil"][2], abs_tol=1.5)


def test_training_through_the_device_path(jpeg_root, tmp_path, repo_root):
    cfg = load_config(TrainConfig, repo_root / "tasks/classification/configs/smoke.yaml", [
        "data.name=imagenet", f"data.root={jpeg_root}", "data.augment=imagenet", "data.decode=device",
        "data.image_size=32", "data.num_workers=0", "data.eval_batch_size=8", "batch_size=4", "epochs=1",
        "model.kwargs={width: 4}", f"out_dir={tmp_path}", "name=jpeg", "threads=1", "device=cpu"])
    loaders = train.build_loaders(cfg, WorldInfo(), torch.device("cpu"))
    assert [type(x) for x in loaders] == [DeviceJpegBatches] * 2 and loaders[0].train and not loaders[1].train
    metrics = train.main(cfg)
    assert metrics["steps"] == 4 and len(metrics["history"]) == 1 and 0 <= metrics["test_accuracy"] <= 100


def test_decode_choice():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert decodes_on_device("auto", "imagenet", cuda) and not decodes_on_device("auto", "imagenet", cpu)
    assert not decodes_on_device("auto", "crop_flip", cuda) and not decodes_on_device("pil", "imagenet", cuda)
    assert decodes_on_device("device", "imagenet", cpu)
    with pytest.raises(DscrError, match="implements augment=imagenet with bilinear"):
        decodes_on_device("device", "crop_flip", cuda)
    # DeiT's recipe (bicubic, RandAugment) is PIL's: auto keeps it there, device refuses it
    assert not decodes_on_device("auto", "imagenet", cuda, interpolation="bicubic")
    assert not decodes_on_device("auto", "imagenet", cuda, rand_augment="rand-m9-mstd0.5-inc1")
    with pytest.raises(DscrError, match="rand_augment='rand-m9"):
        decodes_on_device("device", "imagenet", cuda, rand_augment="rand-m9-mstd0.5-inc1")
