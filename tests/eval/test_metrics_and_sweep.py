import subprocess
import sys

import numpy as np
import pytest
import torch

from dscr import corrupt
from dscr.eval import ALEXNET_ERR, corruption_sweep, folder_origin, mce, npy_sweep, relative_gain, summarize


def test_summaries_are_the_plain_means():
    table = {"fog": {"1": 80.0, "2": 60.0}, "snow": {"1": 70.0, "2": 50.0}}
    s = summarize(table)
    assert s["robustness_accuracy"] == 65.0
    assert s["severity_means"] == {"1": 75.0, "2": 55.0}
    assert s["corruption_means"] == {"fog": 70.0, "snow": 60.0}
    assert relative_gain(66.0, 60.0) == pytest.approx(0.1)


def test_mce_is_one_hundred_for_alexnet_itself():
    alexnet = {name: {str(s): 100.0 * (1 - err) for s in range(1, 6)} for name, err in ALEXNET_ERR.items()}
    assert mce(alexnet) == pytest.approx(100.0)
    assert mce({"fog": {"1": 50.0}}) is None  # undefined without the 15 ImageNet-C corruptions


def _labelled_images(n=24):
    """Flat grey images whose brightness encodes the label, and a 'model' that reads it back."""
    labels = torch.arange(n) % 4
    images = (labels * 60 + 20).to(torch.uint8)[:, None, None, None].expand(n, 3, 16, 16).contiguous()

    def predict(x):
        level = x.float().mean(dim=(1, 2, 3))
        return -(level[:, None] - torch.tensor([20.0, 80.0, 140.0, 200.0])[None]).abs()
    return images, labels, predict


def test_sweep_is_seeded_and_matches_the_clean_model():
    images, labels, predict = _labelled_images()
    suite = corrupt.get_suite("cifar10-c")
    batches = [(images[:12], labels[:12]), (images[12:], labels[12:])]
    kw = dict(corruptions=["gaussian_noise", "contrast", "brightness"], progress=False)
    a = corruption_sweep({"m": predict}, batches, suite, seed=3, **kw)
    b = corruption_sweep({"m": predict}, batches, suite, seed=3, **kw)
    assert a == b
    assert set(a["m"]) == {"gaussian_noise", "contrast", "brightness"} and len(a["m"]["contrast"]) == 5
    # contrast at severity 5 pulls every image towards its own mean: grey levels stay, accuracy stays 100
    assert a["m"]["contrast"]["5"] == 100.0
    # brightness raises every level: the darkest classes are read as brighter ones
    assert a["m"]["brightness"]["5"] < 100.0


def test_on_the_fly_equals_the_written_suite(tmp_path, repo_root):
    """`dscr corrupt` and the evaluator draw from the same generators: identical accuracy tables."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, 20)
    np.save(tmp_path / "x.npy", images)
    np.save(tmp_path / "y.npy", labels)
    names = "gaussian_noise,glass_blur,fog"
    result = subprocess.run([sys.executable, "-m", "dscr", "corrupt", "--suite", "cifar10-c", "--images",
                             str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"), "--out",
                             str(tmp_path / "c"), "--corruptions", names, "--batch-size", "8"],
                            capture_output=True, text=True, cwd=repo_root, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    weights = torch.randn(10, 3 * 32 * 32, generator=torch.Generator().manual_seed(0))
    predict = lambda x: x.float().flatten(1) @ weights.T  # noqa: E731  a fixed random linear model
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(labels)
    batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 20, 8)]
    fly = corruption_sweep({"m": predict}, batches, corrupt.get_suite("cifar10-c"), seed=0,
                           corruptions=names.split(","), progress=False)
    disk = npy_sweep({"m": predict}, tmp_path / "c", names.split(","), torch.device("cpu"), batch_size=8,
                     progress=False)
    assert fly == disk
    assert folder_origin(tmp_path / "c") == "dscr corrupt"  # told apart from published files by its marker
