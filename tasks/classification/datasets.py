"""Classification datasets: what each is, where it comes from, and how it is materialised on disk.

Array datasets (CIFAR-10/100, Fashion-MNIST) are materialised once by `dscr data NAME` into
`<root>/<name>/{train,test}_{images,labels}.npy` (uint8 N x H x W x C, int64), which training keeps on the
device. Folder datasets (Tiny-ImageNet, ImageNet) stay as image folders read by a DataLoader.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dscr.config import DscrError
from dscr.engine.io import disk_full, remove_stale_temps


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    num_classes: int
    image_size: int
    channels: int
    train_size: int
    test_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    kind: str  # "array": materialised .npy arrays; "folder": class-per-folder images


DATASETS: dict[str, DatasetInfo] = {d.name: d for d in [
    DatasetInfo("cifar10", 10, 32, 3, 50_000, 10_000, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), "array"),
    DatasetInfo("cifar100", 100, 32, 3, 50_000, 10_000, (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762), "array"),
    DatasetInfo("fashionmnist", 10, 28, 1, 60_000, 10_000, (0.2860,), (0.3530,), "array"),
    DatasetInfo("tinyimagenet", 200, 64, 3, 100_000, 10_000, (0.4802, 0.4481, 0.3975), (0.2770, 0.2691, 0.2821),
                "folder"),
    DatasetInfo("imagenet", 1000, 224, 3, 1_281_167, 50_000, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), "folder"),
]}


def get_info(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise DscrError(f"unknown dataset '{name}'; allowed: {', '.join(DATASETS)}")
    return DATASETS[name]


def array_paths(name: str, root: str | Path, split: str) -> tuple[Path, Path]:
    base = Path(root) / name
    return base / f"{split}_images.npy", base / f"{split}_labels.npy"


def load_arrays(name: str, root: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Load a materialised array dataset: (uint8 N x H x W x C images, int64 labels)."""
    info = get_info(name)
    if info.kind != "array":
        raise DscrError(f"dataset '{name}' is a folder dataset; it has no array form")
    images_path, labels_path = array_paths(name, root, split)
    if not images_path.is_file() or not labels_path.is_file():
        raise DscrError(f"data missing: {images_path} not found; run `dscr data {name}` first "
                        f"(set DSCR_DATA_MIRROR to a folder holding the archive when offline)")
    return np.load(images_path, mmap_mode="r"), np.load(labels_path)


# --- materialising array datasets -------------------------------------------------------------------

@dataclass(frozen=True)
class Archive:
    filename: str
    algorithm: str  # hashlib name
    digest: str


ARCHIVES: dict[str, list[Archive]] = {
    # The JPEG re-encoding of CIFAR-10 (train/<class>/*.jpg, test/<class>/*.jpg) that this project's machines carry.
    "cifar10": [Archive("cifar10-jpeg.tar.gz", "sha256",
                        "e6c912096011e98ed4169857b536a58437175bed150b973dcecf3390012378d3"),
                Archive("cifar-10-python.tar.gz", "md5", "c58f30108f718f92721af3b95e74349a")],
    "cifar100": [Archive("cifar-100-python.tar.gz", "md5", "eb9058c3a382ffc7106e4002c42a8d85")],
    # The four official gzip files of Fashion-MNIST (Xiao et al., 2017), as torchvision lists them.
    "fashionmnist": [Archive("train-images-idx3-ubyte.gz", "md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                     Archive("train-labels-idx1-ubyte.gz", "md5", "25c81989df183df01b3e8a0aad5dffbe"),
                     Archive("t10k-images-idx3-ubyte.gz", "md5", "bef4ecab320f06d8554ea6380940ec79"),
                     Archive("t10k-labels-idx1-ubyte.gz", "md5", "bb300cfdad3c16e7a12a480ee83cd310")],
}


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(path: Path, archive: Archive) -> None:
    actual = _digest(path, archive.algorithm)
    if actual != archive.digest:
        raise DscrError(f"archive {path} is corrupt or partial: {archive.algorithm} {actual} != expected "
                        f"{archive.digest}")


def _read_jpeg_folders(tar: tarfile.TarFile) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from PIL import Image

    members = [m for m in tar.getmembers() if m.isfile() and m.name.lower().endswith((".jpg", ".jpeg", ".png"))]
    splits: dict[str, dict[str, list]] = {}
    for m in members:
        parts = Path(m.name).parts
        split, cls = parts[-3], parts[-2]
        splits.setdefault(split, {}).setdefault(cls, []).append(m)
    if set(splits) != {"train", "test"}:
        raise DscrError(f"archive {tar.name} has folders {sorted(splits)}; expected train/ and test/")
    classes = sorted(splits["train"])
    out = {}
    for split, by_class in splits.items():
        images, labels = [], []
        for label, cls in enumerate(classes):
            for m in sorted(by_class.get(cls, []), key=lambda m: m.name):
                with Image.open(io.BytesIO(tar.extractfile(m).read())) as img:
                    images.append(np.asarray(img.convert("RGB")))
                labels.append(label)
        # Folders list images class by class; store them in a fixed mixed order (as the official pickles
        # are), so that "the first N test images" is a class-balanced subset everywhere (--limit, test_subset).
        order = np.random.default_rng(0).permutation(len(labels))
        out[split] = (np.stack(images)[order], np.asarray(labels, dtype=np.int64)[order])
    return out


def _read_cifar_pickles(tar: tarfile.TarFile, name: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    import pickle

    def load(member_suffix: str):
        member = next(m for m in tar.getmembers() if m.name.endswith(member_suffix))
        return pickle.load(tar.extractfile(member), encoding="latin1")

    key = "labels" if name == "cifar10" else "fine_labels"
    train_parts = [f"data_batch_{i}" for i in range(1, 6)] if name == "cifar10" else ["/train"]
    test_part = "test_batch" if name == "cifar10" else "/test"
    out = {}
    for split, parts in (("train", train_parts), ("test", [test_part])):
        batches = [load(p) for p in parts]
        data = np.concatenate([b["data"] for b in batches]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        labels = np.concatenate([np.asarray(b[key]) for b in batches]).astype(np.int64)
        out[split] = (np.ascontiguousarray(data, dtype=np.uint8), labels)
    return out


def _read_idx_gz(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST's idx files: a 16-byte (images) or 8-byte (labels) header, then uint8 data."""
    import gzip

    def read(name: str, offset: int) -> np.ndarray:
        with gzip.open(folder / name, "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        labels = read(f"{prefix}-labels-idx1-ubyte.gz", 8).astype(np.int64)
        images = read(f"{prefix}-images-idx3-ubyte.gz", 16).reshape(len(labels), 28, 28, 1)
        out[split] = (images.copy(), labels)
    return out


def _download(name: str, dest: Path) -> Path:
    """Official download through torchvision (needs internet); returns the folder holding the archive(s)."""
    from torchvision.datasets import CIFAR10, CIFAR100, FashionMNIST

    cls = {"cifar10": CIFAR10, "cifar100": CIFAR100, "fashionmnist": FashionMNIST}[name]
    try:
        cls(root=str(dest), train=True, download=True)
    except Exception as exc:  # urllib errors vary by platform
        raise DscrError(f"could not download {name} ({exc.__class__.__name__}: {exc}); offline? set "
                        f"DSCR_DATA_MIRROR to a folder holding {ARCHIVES[name][0].filename}") from None
    return dest / "FashionMNIST" / "raw" if name == "fashionmnist" else dest


def materialise(name: str, root: str | Path = "data", mirror: str | Path | None = None) -> Path:
    """Write `<root>/<name>/{train,test}_{images,labels}.npy` from a mirror archive or the official download.

    The arrays are written into a temporary folder next to the target and renamed into place only when
    complete, so an interrupted or failed run leaves no half-written dataset.
    """
    if name not in ARCHIVES:
        raise DscrError(f"`dscr data` materialises {', '.join(ARCHIVES)}; '{name}' is read from its folder "
                        f"layout directly (see tasks/classification/README.md)")
    root = Path(root)
    target = root / name
    remove_stale_temps(root, f".{name}.tmp-")  # left by a run killed while materialising
    if all(p.is_file() for split in ("train", "test") for p in array_paths(name, root, split)):
        return target
    root.mkdir(parents=True, exist_ok=True)
    mirror = mirror if mirror is not None else os.environ.get("DSCR_DATA_MIRROR")
    with tempfile.TemporaryDirectory(dir=root, prefix=f".{name}.tmp-{os.getpid()}-") as tmp:
        tmp = Path(tmp)
        folder = Path(mirror) if mirror else _download(name, tmp)
        present = [a for a in ARCHIVES[name] if (folder / a.filename).is_file()]
        if not present:
            raise DscrError(f"{folder} holds none of {', '.join(a.filename for a in ARCHIVES[name])}")
        archive_path = folder / present[0].filename
        try:
            if name == "fashionmnist":
                for archive in ARCHIVES[name]:  # all four files are needed
                    if not (folder / archive.filename).is_file():
                        raise DscrError(f"{folder} lacks {archive.filename}")
                    verify(folder / archive.filename, archive)
                splits = _read_idx_gz(folder)
            else:
                verify(archive_path, present[0])
                with tarfile.open(archive_path) as tar:
                    splits = (_read_jpeg_folders(tar) if present[0].filename.endswith("jpeg.tar.gz")
                              else _read_cifar_pickles(tar, name))
        except (tarfile.TarError, OSError, EOFError, StopIteration, ValueError) as exc:
            raise DscrError(f"archive {archive_path} could not be read ({exc})") from None
        out = tmp / "out"
        try:
            out.mkdir()
            for split, (images, labels) in splits.items():
                np.save(out / f"{split}_images.npy", images)
                np.save(out / f"{split}_labels.npy", labels)
        except (OSError, RuntimeError) as exc:
            if disk_full(exc, root):
                raise DscrError(f"no space left on device: could not write {target}") from None
            raise
        if target.exists():
            shutil.rmtree(target)
        os.replace(out, target)
    return target
