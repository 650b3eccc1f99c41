"""Fidelity figures of dscr.corrupt against the references, as markdown tables for docs/corruptions.md.

    python benchmarks/corruption_fidelity.py [--cifar-images 16]

Same comparisons as tests/corrupt/test_fidelity.py and test_make_cifar_c.py, printed instead of asserted:
per corruption and severity, the share of values equal to / within one grey level of the reference and the
PSNR (deterministic ones, and random ones given the reference's random draws), or the mean / spread of
(corrupted - clean) for random ones compared in distribution. First our cifar10-c against make_cifar_c.py
(the CIFAR-10-C generator) on real CIFAR-10 test images, then our voc-c against imagecorruptions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corrupt"))

from corrupt_reference import (SharedDraws, psnr, smooth_images, to_nchw,  # noqa: E402
                               to_nhwc, within_one)

DETERMINISTIC = ["gaussian_blur", "defocus_blur", "contrast", "brightness", "saturate", "jpeg_compression",
                 "pixelate", "zoom_blur"]
SHARED = ["motion_blur", "snow", "fog", "spatter", "elastic_transform"]
DISTRIBUTION = ["gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "glass_blur", "frost"]


def fmt(values) -> str:
    return " / ".join(values)


def cifar_test_images(n: int) -> np.ndarray:
    """The first n CIFAR-10 test images of `dscr data cifar10`, or smooth synthetic ones without the data."""
    try:
        return np.array(np.load("data/cifar10/test_images.npy", mmap_mode="r")[:n])
    except OSError:
        return smooth_images(n, 32, 32, seed=1)


def equal_within_psnr(ours: np.ndarray, ref: np.ndarray) -> tuple[str, str, str]:
    return f"{np.mean(ours == ref) * 100:.1f}", f"{within_one(ours, ref) * 100:.2f}", f"{psnr(ours, ref):.0f}"


def noise_moments(suite, name: str, images: np.ndarray, reference) -> tuple[str, str]:
    """Mean and spread of (corrupted - clean), ours/ref per severity; ``reference(img, severity)`` after
    np.random.seed(0)."""
    means, stds = [], []
    for s in suite.severities:
        ours = to_nhwc(suite.apply(name, to_nchw(images), s, torch.Generator().manual_seed(0)))
        np.random.seed(0)
        ref = np.stack([reference(im, s) for im in images])
        do, dr = ours.astype(float) - images, ref.astype(float) - images
        means.append(f"{do.mean():.1f}/{dr.mean():.1f}")
        stds.append(f"{do.std():.1f}/{dr.std():.1f}")
    return fmt(means), fmt(stds)


def make_cifar_c_tables(images: np.ndarray) -> None:
    """cifar10-c vs the CIFAR-10-C generator: image by image (deterministic, or given the same draws)."""
    import make_cifar_c

    from dscr import corrupt

    suite = corrupt.get_suite("cifar10-c")
    mp = pytest.MonkeyPatch()
    print(f"cifar10-c vs make_cifar_c.py on {len(images)} CIFAR-10 test images")
    print("| corruption | check | % equal, sev 1..5 | % within 1 level, sev 1..5 | PSNR dB, sev 1..5 |")
    print("|---|---|---|---|---|")
    for name in suite.corruptions:
        if name in ("shot_noise", "frost"):
            continue  # Poisson draws and photographs cannot be shared: compared in distribution below
        rows = []
        for s in suite.severities:
            if name in make_cifar_c.DETERMINISTIC:
                ours = to_nhwc(suite.apply(name, to_nchw(images), s))
                ref = np.stack([make_cifar_c.corrupt(im, name, s) for im in images])
            else:
                pairs = [SharedDraws(seed=s).corrupt_both(mp, lambda im: make_cifar_c.corrupt(im, name, s), suite,
                                                          name, img, s) for img in images]
                ours, ref = (np.stack(side) for side in zip(*pairs))
            rows.append(equal_within_psnr(ours, ref))
        check = "image by image" if name in make_cifar_c.DETERMINISTIC else "same random draws"
        print(f"| {name} | {check} | " + " | ".join(fmt(col) for col in zip(*rows)) + " |")
    print()
    print("| corruption | mean of (corrupted - clean), ours/ref, sev 1..5 | std, ours/ref, sev 1..5 |")
    print("|---|---|---|")
    for name in ("shot_noise", "frost"):
        means, stds = noise_moments(suite, name, images, lambda im, s: make_cifar_c.corrupt(im, name, s))
        print(f"| {name} | {means} | {stds} |")
    print()


def main() -> None:
    import argparse

    import imagecorruptions

    from dscr import corrupt

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cifar-images", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(1)
    make_cifar_c_tables(cifar_test_images(args.cifar_images))
    print("voc-c (ImageNet constants) vs imagecorruptions on synthetic images")
    voc = corrupt.get_suite("voc-c")
    v_imgs = smooth_images(4, 48, 40, seed=2)
    print("| corruption | reference | check | within 1 level, sev 1/2/3/4/5 | PSNR dB, sev 1/2/3/4/5 |")
    print("|---|---|---|---|---|")
    for name in DETERMINISTIC:
        w, p = [], []
        for s in range(1, 6):
            ours = to_nhwc(voc.apply(name, to_nchw(v_imgs), s))
            ref = np.stack([imagecorruptions.corrupt(im, s, name) for im in v_imgs])
            w.append(f"{within_one(ours, ref) * 100:.2f}%")
            p.append(f"{psnr(ours, ref):.0f}")
        print(f"| {name} | imagecorruptions | image by image | {fmt(w)} | {fmt(p)} |")
    mp = pytest.MonkeyPatch()
    for name in SHARED:
        w, p = [], []
        for s in range(1, 6):
            pairs = [SharedDraws(seed=s).corrupt_both(mp, lambda im: imagecorruptions.corrupt(im, s, name), voc, name,
                                                      img, s) for img in v_imgs]
            ours, ref = (np.stack(side) for side in zip(*pairs))
            w.append(f"{within_one(ours, ref) * 100:.2f}%")
            p.append(f"{psnr(ours, ref):.0f}")
        print(f"| {name} | imagecorruptions | same random draws | {fmt(w)} | {fmt(p)} |")
    print()
    print("| corruption | check | mean of (corrupted - clean), ours vs ref, sev 1..5 | "
          "std of (corrupted - clean), ours vs ref, sev 1..5 |")
    print("|---|---|---|---|")
    imgs = smooth_images(32, 32, 32, seed=3)
    for name in DISTRIBUTION:
        means, stds = noise_moments(voc, name, imgs, lambda im, s: imagecorruptions.corrupt(im, s, name))
        print(f"| {name} | distribution, 32 images | {means} | {stds} |")


if __name__ == "__main__":
    main()
