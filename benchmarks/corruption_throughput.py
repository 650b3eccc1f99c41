"""Images per second of every corruption: dscr.corrupt (batched) vs the references (one image at a time),
on the same images, side by side in one run.

    python benchmarks/corruption_throughput.py [--suite cifar10-c] [--images 2000] [--ref-images 40]
                                               [--reference both|make_cifar_c|imagecorruptions|none]
                                               [--threads 1] [--device cpu] [--batch-size 1000] [--clock auto]

References:
- make_cifar_c: tests/corrupt/make_cifar_c.py, the script that made CIFAR-10-C (hendrycks/robustness) re-done
  step by step with its libraries and CIFAR constants, glass blur's pure-Python pixel loop included; only
  for the 32 px CIFAR suites.
- imagecorruptions: imagecorruptions-imaug (ImageNet constants at any size; numba-compiled glass blur,
  compiled before timing).

Warm-ups (caches, imports, numba compilation) run before each timed region. Timing is CPU time of this
process (``--clock cpu``, the default on CPU: the machine may be shared) or wall time (``--clock wall``,
the default for CUDA). The last lines extrapolate each to the whole suite (corruptions x 5 x 10 000).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corrupt"))

from corrupt_reference import reference_corruption  # noqa: E402

CIFAR_SUITES = ("cifar10-c", "cifar100-c")
REFERENCES = ("make_cifar_c", "imagecorruptions")


def _test_images(n: int, size: int) -> np.ndarray:
    try:
        images = np.load("data/cifar10/test_images.npy", mmap_mode="r")
        if size == 32:
            return np.array(images[:n])
    except OSError:
        pass
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)


def _timer(clock: str):
    return time.process_time if clock == "cpu" else time.perf_counter


def time_ours(suite, name: str, images: np.ndarray, batch_size: int, device: str, clock: str) -> float:
    from dscr.corrupt import batch_generator

    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)
    suite.apply(name, x_all[:8], 1, batch_generator(0, name, 1, 0, device="cpu"))  # warm-up (caches, kernels)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    now = _timer(clock)
    start = now()
    for severity in suite.severities:
        for b, i in enumerate(range(0, len(x_all), batch_size)):
            suite.apply(name, x_all[i:i + batch_size], severity, batch_generator(0, name, severity, b, device="cpu"))
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return len(x_all) * len(suite.severities) / (now() - start)


def time_reference(reference: str, name: str, images: np.ndarray, clock: str) -> float:
    fn = reference_corruption(reference, name)
    if fn is None:
        return math.nan
    np.random.seed(0)
    for severity in range(1, 6):  # warm-up: imports, file caches, numba compilation
        fn(images[0], severity)
    now = _timer(clock)
    start = now()
    for severity in range(1, 6):
        for img in images:
            fn(img, severity)
    return len(images) * 5 / (now() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default="cifar10-c")
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--ref-images", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--reference", choices=("both", *REFERENCES, "none"), default=None,
                        help="default: both for the CIFAR suites, imagecorruptions for the others")
    parser.add_argument("--no-reference", action="store_true", help="same as --reference none")
    parser.add_argument("--clock", choices=("auto", "cpu", "wall"), default="auto",
                        help="cpu: this process's CPU time (default on CPU); wall: elapsed time (default on CUDA)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    clock = args.clock if args.clock != "auto" else ("wall" if args.device.startswith("cuda") else "cpu")

    from dscr.corrupt import get_suite

    suite = get_suite(args.suite)
    choice = "none" if args.no_reference else args.reference or (
        "both" if suite.name in CIFAR_SUITES else "imagecorruptions")
    references = list(REFERENCES) if choice == "both" else [] if choice == "none" else [choice]
    if "make_cifar_c" in references and suite.name not in CIFAR_SUITES:
        parser.error(f"--reference make_cifar_c only applies to {', '.join(CIFAR_SUITES)}, not {suite.name}")
    size = suite.image_size or 224
    images = _test_images(max(args.images, args.ref_images), size)
    per_suite = 5 * 10_000
    print(f"suite {suite.name}, {size} px, device {args.device}, torch threads {args.threads}, {clock} clock, "
          f"ours on {args.images} images x 5 severities (batch {args.batch_size}), "
          f"references on {args.ref_images} x 5")
    header = f"{'corruption':20s} {'ours img/s':>11s}"
    for reference in references:
        header += f" {reference + ' img/s':>22s} {'speed-up':>9s}"
    print(header)
    total_ours, total_ref = 0.0, {r: 0.0 for r in references}
    for name in suite.corruptions:
        ours = time_ours(suite, name, images[:args.images], args.batch_size, args.device, clock)
        total_ours += per_suite / ours
        line = f"{name:20s} {ours:11.0f}"
        for reference in references:
            ref = time_reference(reference, name, images[:args.ref_images], clock)
            total_ref[reference] += per_suite / ref  # nan if the reference lacks it
            line += f" {ref:22.0f} {ours / ref:8.1f}x"
        print(line, flush=True)
    print(f"whole suite ({len(suite.corruptions)} x 5 x 10000 images): ours {total_ours:.0f} s")
    for reference in references:
        print(f"  {reference}: {total_ref[reference]:.0f} s, speed-up {total_ref[reference] / total_ours:.1f}x")


if __name__ == "__main__":
    main()
