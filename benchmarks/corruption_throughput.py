"""Images per second of every corruption: dscr.corrupt (batched) vs the reference (imagecorruptions,
one image at a time), on the same images, side by side in one run.

    python benchmarks/corruption_throughput.py [--suite cifar10-c] [--images 2000] [--ref-images 40]
                                               [--threads 1] [--device cpu] [--batch-size 1000]

The reference for the CIFAR constants (hendrycks/robustness make_cifar_c.py) needs ImageMagick's Wand and
cannot run here; imagecorruptions-imaug runs the same algorithms with the ImageNet constants at any size,
so its per-image cost on the same 32 px images stands in for it. Reference glass blur is numba-compiled
(warmed up before timing). The last line extrapolates both to the whole suite (corruptions x 5 x 10 000).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch


def _test_images(n: int, size: int) -> np.ndarray:
    try:
        images = np.load("data/cifar10/test_images.npy", mmap_mode="r")
        if size == 32:
            return np.array(images[:n])
    except OSError:
        pass
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)


def time_ours(suite, name: str, images: np.ndarray, batch_size: int, device: str) -> float:
    from dscr.corrupt import batch_generator

    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)
    suite.apply(name, x_all[:8], 1, batch_generator(0, name, 1, 0, device="cpu"))  # warm-up (caches, kernels)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for severity in suite.severities:
        for b, i in enumerate(range(0, len(x_all), batch_size)):
            suite.apply(name, x_all[i:i + batch_size], severity, batch_generator(0, name, severity, b, device="cpu"))
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return len(x_all) * len(suite.severities) / (time.perf_counter() - start)


def time_reference(name: str, images: np.ndarray) -> float:
    from imagecorruptions import corrupt

    corrupt(images[0], 1, name)  # warm-up (numba)
    start = time.perf_counter()
    for severity in range(1, 6):
        for img in images:
            corrupt(img, severity, name)
    return len(images) * 5 / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default="cifar10-c")
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--ref-images", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)

    from dscr.corrupt import get_suite

    suite = get_suite(args.suite)
    size = suite.image_size or 224
    images = _test_images(max(args.images, args.ref_images), size)
    per_suite = 5 * 10_000
    print(f"suite {suite.name}, {size} px, device {args.device}, torch threads {args.threads}, "
          f"ours on {args.images} images x 5 severities (batch {args.batch_size}), "
          f"reference on {args.ref_images} x 5")
    print(f"{'corruption':20s} {'ours img/s':>11s} {'ref img/s':>10s} {'speed-up':>9s}")
    total_ours = total_ref = 0.0
    for name in suite.corruptions:
        ours = time_ours(suite, name, images[:args.images], args.batch_size, args.device)
        total_ours += per_suite / ours
        ref = float("nan")
        if not args.no_reference:
            ref = time_reference(name, images[:args.ref_images])
            total_ref += per_suite / ref
        print(f"{name:20s} {ours:11.0f} {ref:10.0f} {ours / ref:8.1f}x", flush=True)
    line = f"whole suite ({len(suite.corruptions)} x 5 x 10000 images): ours {total_ours:.0f} s"
    if not args.no_reference:
        line += f", reference {total_ref:.0f} s, speed-up {total_ref / total_ours:.1f}x"
    print(line)


if __name__ == "__main__":
    main()
