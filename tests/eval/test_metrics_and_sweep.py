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


# AlexNet's ImageNet-C errors as google-research/augmix's imagenet.py prints them (copied there from
# hendrycks/robustness), in its CORRUPTIONS order.
AUGMIX_CORRUPTIONS = ["gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur",
                      "zoom_blur", "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate",
                      "jpeg_compression"]
AUGMIX_ALEXNET_ERR = [0.886428, 0.894468, 0.922640, 0.819880, 0.826268, 0.785948, 0.798360, 0.866816, 0.826572,
                      0.819324, 0.564592, 0.853204, 0.646056, 0.717840, 0.606500]


def test_mce_of_a_non_uniform_error_table():
    # AlexNet's own accuracy everywhere except two corruptions, whose errors (fractions) per severity are:
    #   gaussian_noise 0.2, 0.4, 0.6, 0.8, 1.0 (sum 3.0)   brightness 0.1, 0.1, 0.2, 0.3, 0.3 (sum 1.0)
    # CE_c = sum_s E_c,s / sum_s E^AlexNet_c,s, so CE_gauss = 3.0 / (5 * 0.886428), CE_bright = 1.0 / (5 * 0.564592),
    # and the other 13 are 1: mCE = 100 * (13 + 0.676875... + 0.354238...) / 15 = 93.5407...
    table = {name: {str(s): 100.0 * (1 - err) for s in range(1, 6)}
             for name, err in zip(AUGMIX_CORRUPTIONS, AUGMIX_ALEXNET_ERR)}
    table["gaussian_noise"] = {str(s): 100.0 * (1 - e) for s, e in zip(range(1, 6), (0.2, 0.4, 0.6, 0.8, 1.0))}
    table["brightness"] = {str(s): 100.0 * (1 - e) for s, e in zip(range(1, 6), (0.1, 0.1, 0.2, 0.3, 0.3))}
    expected = 100 * (13 + 3.0 / (5 * 0.886428) + 1.0 / (5 * 0.564592)) / 15
    assert expected == pytest.approx(93.54075, abs=1e-4)
    assert mce(table) == pytest.approx(expected, rel=1e-12)


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
