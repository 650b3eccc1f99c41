"""ImageNet-C-bar: dscr.corrupt vs the reference transforms, compared in distribution.

    python benchmarks/cbar_fidelity.py --reference /path/to/augmentation-corruption/imagenet_c_bar \
        [--images 4] [--size 64]

The reference (facebookresearch/augmentation-corruption, MIT) is not vendored: point --reference at a
checkout of its imagenet_c_bar folder. Every corruption draws random parameters per image, so images are
compared through the mean and spread of (corrupted - clean) per severity, on the same clean images.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corrupt"))

from corrupt_reference import smooth_images, to_nchw, to_nhwc  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", required=True)
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    np.int = int  # the reference uses the removed numpy alias
    sys.path.insert(0, args.reference)
    from transform_finder import build_transform

    from dscr import corrupt

    suite = corrupt.get_suite("imagenet-c-bar")
    from dscr.corrupt.tables.cbar import LEVELS

    images = smooth_images(args.images, args.size, args.size, seed=7)
    print("| corruption | mean of (corrupted - clean), ours/ref, sev 1..5 | std, ours/ref, sev 1..5 |")
    print("|---|---|---|")
    for name in suite.corruptions:
        means, stds = [], []
        for severity, level in enumerate(LEVELS[name], start=1):
            ours = to_nhwc(suite.apply(name, to_nchw(images), severity, torch.Generator().manual_seed(severity)))
            np.random.seed(severity)
            transform = build_transform(name=name, severity=level, dataset_type="imagenet")
            transform.im_size = args.size
            ref = np.stack([transform(img) for img in images])
            do, dr = ours.astype(float) - images, ref.astype(float) - images
            means.append(f"{do.mean():.1f}/{dr.mean():.1f}")
            stds.append(f"{do.std():.1f}/{dr.std():.1f}")
        print(f"| {name} | {' / '.join(means)} | {' / '.join(stds)} |", flush=True)


if __name__ == "__main__":
    main()
