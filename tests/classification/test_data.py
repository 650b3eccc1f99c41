import gzip
import shutil
import tarfile

import numpy as np
import pytest
import torch

from dscr.config import DscrError
from tasks.classification import datasets
from tasks.classification.data import DeviceArrayLoader, subset_indices


def test_real_cifar10_arrays(cifar10_root):
    x, y = datasets.load_arrays("cifar10", cifar10_root, "test")
    assert x.shape == (10_000, 32, 32, 3) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [1000] * 10
    xt, yt = datasets.load_arrays("cifar10", cifar10_root, "train")
    assert xt.shape == (50_000, 32, 32, 3) and np.bincount(yt).tolist() == [5000] * 10


def test_partial_archive_gives_one_error_and_no_data(tmp_path, repo_root):
    real = repo_root.parent / "shared/data/cifar10-jpeg.tar.gz"
    if not real.is_file():
        pytest.skip("no CIFAR-10 archive beside the checkout")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with open(real, "rb") as src, open(mirror / real.name, "wb") as dst:
        dst.write(src.read(1 << 20))  # a download cut short
    with pytest.raises(DscrError, match="corrupt or partial"):
        datasets.materialise("cifar10", tmp_path / "data", mirror)
    assert list((tmp_path / "data").iterdir()) == []


def test_missing_arrays_name_the_fix(tmp_path):
    with pytest.raises(DscrError, match="data missing: .* run `dscr data cifar10`"):
        datasets.load_arrays("cifar10", tmp_path, "train")


def test_cifar_pickle_archive_round_trip(tmp_path, monkeypatch):
    """The official python-pickle layout decodes to the same NHWC arrays."""
    import pickle

    rng = np.random.default_rng(0)
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    expected = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (4, 3 * 32 * 32), dtype=np.uint8)
        labels = rng.integers(0, 10, 4).tolist()
        expected[name] = (data.reshape(4, 3, 32, 32).transpose(0, 2, 3, 1), labels)
        (root / name).write_bytes(pickle.dumps({"data": data, "labels": labels}))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with tarfile.open(mirror / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(root, arcname="cifar-10-batches-py")
    digest = datasets._digest(mirror / "cifar-10-python.tar.gz", "md5")
    monkeypatch.setitem(datasets.ARCHIVES, "cifar10", [datasets.Archive("cifar-10-python.tar.gz", "md5", digest)])
    datasets.materialise("cifar10", tmp_path / "data", mirror)
    x, y = datasets.load_arrays("cifar10", tmp_path / "data", "test")
    np.testing.assert_array_equal(x, expected["test_batch"][0])
    assert y.tolist() == expected["test_batch"][1]
    xt, _ = datasets.load_arrays("cifar10", tmp_path / "data", "train")
    np.testing.assert_array_equal(xt[4:8], expected["data_batch_2"][0])


def test_fashion_mnist_idx_files(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    images = {"train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "t10k": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)}
    archives = []
    for prefix, imgs in images.items():
        n = len(imgs)
        with gzip.open(mirror / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + imgs.tobytes())
        with gzip.open(mirror / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + np.arange(n, dtype=np.uint8).tobytes())
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{prefix}-{kind}-ubyte.gz"
            archives.append(datasets.Archive(name, "md5", datasets._digest(mirror / name, "md5")))
    monkeypatch.setitem(datasets.ARCHIVES, "fashionmnist", archives)
    datasets.materialise("fashionmnist", tmp_path / "data", mirror)
    x, y = datasets.load_arrays("fashionmnist", tmp_path / "data", "test")
    assert x.shape == (3, 28, 28, 1)
    np.testing.assert_array_equal(x[..., 0], images["t10k"])
    assert y.tolist() == [0, 1, 2]


def test_subset_is_fixed_and_sorted():
    a, b = subset_indices(100, 10), subset_indices(100, 10)
    assert (a == b).all() and len(set(a)) == 10 and (np.diff(a) > 0).all()
    assert len(subset_indices(100, 0)) == 100


def _loader(n=64, **kw):
    images = np.arange(n, dtype=np.uint8)[:, None, None, None].repeat(8, 1).repeat(8, 2).repeat(3, 3)
    return DeviceArrayLoader(images, np.arange(n), 16, torch.device("cpu"), **kw)


def test_train_order_depends_on_seed_and_epoch_only():
    first = [y.tolist() for _, y in _loader(train=True, seed=1)]
    again = [y.tolist() for _, y in _loader(train=True, seed=1)]
    assert first == again and sorted(sum(first, [])) == list(range(64))
    loader = _loader(train=True, seed=1)
    loader.set_epoch(1)
    assert [y.tolist() for _, y in loader] != first


def test_ranks_take_disjoint_equal_shards():
    shards = [sum((y.tolist() for _, y in _loader(train=True, rank=r, world_size=2)), []) for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 32 and not set(shards[0]) & set(shards[1])
    evals = [sum((y.tolist() for _, y in _loader(n=63, train=False, rank=r, world_size=2)), []) for r in range(2)]
    assert sorted(evals[0] + evals[1]) == list(range(63))


def test_crop_flip_matches_padded_crops():
    """Every augmented image is a (possibly flipped) 8x8 window of the zero-padded original."""
    rng = np.random.default_rng(0)
    images = rng.integers(1, 256, (32, 8, 8, 3), dtype=np.uint8)
    loader = DeviceArrayLoader(images, np.arange(32), 32, torch.device("cpu"), train=True, augment="crop_flip",
                               pad=2)
    (batch, labels), = list(loader)
    shifted = flipped = 0
    for img, label in zip(batch, labels):
        padded = torch.nn.functional.pad(torch.from_numpy(images[label]).permute(2, 0, 1), (2, 2, 2, 2))
        windows = [(padded[:, i:i + 8, j:j + 8], i, j) for i in range(5) for j in range(5)]
        match = [(i, j, False) for w, i, j in windows if torch.equal(w, img)]
        match += [(i, j, True) for w, i, j in windows if torch.equal(w.flip(2), img)]
        assert match, "augmented image is not a crop of the padded original"
        shifted += (match[0][0], match[0][1]) != (2, 2)
        flipped += match[0][2]
    assert shifted > 10 and 5 < flipped < 27
