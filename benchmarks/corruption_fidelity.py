"""Fidelity figures of dscr.corrupt against the references, as a markdown table for docs/corruptions.md.

    python benchmarks/corruption_fidelity.py

Same comparisons as tests/corrupt/test_fidelity.py, printed instead of asserted: per corruption and
severity, the share of values within one grey level of the reference and the PSNR (deterministic ones and
random ones given the reference's random draws), or the difference of mean / spread of (corrupted - clean)
for random ones compared in distribution.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corrupt"))

from corrupt_reference import (SharedDraws, cifar_reference, psnr, smooth_images, to_nchw,  # noqa: E402
                               to_nhwc, within_one)

DETERMINISTIC = ["gaussian_blur", "defocus_blur", "contrast", "brightness", "saturate", "jpeg_compression",
                 "pixelate", "zoom_blur"]
SHARED = ["motion_blur", "snow", "fog", "spatter", "elastic_transform"]
DISTRIBUTION = ["gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "glass_blur", "frost"]


def fmt(values) -> str:
    return " / ".join(values)


def main() -> None:
    import imagecorruptions

    from dscr import corrupt

    torch.set_num_threads(1)
    cifar = corrupt.get_suite("cifar10-c")
    voc = corrupt.get_suite("voc-c")
    c_imgs = smooth_images(8, 32, 32, seed=1)
    v_imgs = smooth_images(4, 48, 40, seed=2)
    print("| corruption | reference | check | within 1 level, sev 1/2/3/4/5 | PSNR dB, sev 1/2/3/4/5 |")
    print("|---|---|---|---|---|")
    for name in DETERMINISTIC:
        w, p = [], []
        for s in range(1, 6):
            ours = to_nhwc(cifar.apply(name, to_nchw(c_imgs), s))
            ref = np.stack([cifar_reference(name, im, cifar.table[name].params[s - 1]) for im in c_imgs])
            w.append(f"{within_one(ours, ref) * 100:.2f}%")
            p.append(f"{psnr(ours, ref):.0f}")
        print(f"| {name} | CIFAR constants, library primitives | image by image | {fmt(w)} | {fmt(p)} |")
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
            oo, rr = [], []
            for img in v_imgs:
                draws = SharedDraws(seed=s)
                with draws.reference(mp):
                    rr.append(imagecorruptions.corrupt(img, s, name))
                with draws.ours(mp):
                    oo.append(to_nhwc(voc.apply(name, to_nchw(img[None]), s))[0])
            ours, ref = np.stack(oo), np.stack(rr)
            w.append(f"{within_one(ours, ref) * 100:.2f}%")
            p.append(f"{psnr(ours, ref):.0f}")
        print(f"| {name} | imagecorruptions | same random draws | {fmt(w)} | {fmt(p)} |")
    print()
    print("| corruption | check | mean of (corrupted - clean), ours vs ref, sev 1..5 | "
          "std of (corrupted - clean), ours vs ref, sev 1..5 |")
    print("|---|---|---|---|")
    imgs = smooth_images(32, 32, 32, seed=3)
    for name in DISTRIBUTION:
        means, stds = [], []
        for s in range(1, 6):
            ours = to_nhwc(voc.apply(name, to_nchw(imgs), s, torch.Generator().manual_seed(0)))
            np.random.seed(0)
            ref = np.stack([imagecorruptions.corrupt(im, s, name) for im in imgs])
            do, dr = ours.astype(float) - imgs, ref.astype(float) - imgs
            means.append(f"{do.mean():.1f}/{dr.mean():.1f}")
            stds.append(f"{do.std():.1f}/{dr.std():.1f}")
        print(f"| {name} | distribution, 32 images | {fmt(means)} | {fmt(stds)} |")


if __name__ == "__main__":
    main()
