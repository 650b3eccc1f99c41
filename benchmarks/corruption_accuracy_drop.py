"""Accuracy drop caused by dscr.corrupt vs by the reference, on one fixed CIFAR-10 model.

    python benchmarks/corruption_accuracy_drop.py [--suite cifar10-c|voc-c] [--images 2000] [--order shuffled]
                                                  [--epochs 3] [--seeds 2] [--workers 1] [--threads 2]

Trains a small CNN on data/cifar10 (materialised by `dscr data cifar10`) with a fixed seed, then corrupts
--images test images (10000: the whole test set; ``--order file`` keeps the file order, which is sorted by
class, ``shuffled`` takes a fixed random sample) with every corruption and severity: with our suite and
with its reference, and prints the model's accuracy on both and the difference in points.

- ``--suite cifar10-c`` (default): reference tests/corrupt/make_cifar_c.py, the script that made CIFAR-10-C
  re-done with its libraries and CIFAR constants, seeded per (corruption, severity, chunk) through
  np.random.seed.
- ``--suite voc-c``: reference imagecorruptions-imaug (ImageNet constants at 32 px).

Our suite is also scored with ``batch_generator`` seeds 0..K-1 (``--seeds K``): the spread of its accuracy
over seeds (max - min, in points) is the noise of two random draws of the same corruption, printed next to
the ours-minus-reference difference (ours at seed 0) so that a difference can be judged against it. The
images are the same on both sides, so the difference measures the corruptions, not the sample. Reference
images are made in chunks of --batch-size; ``--workers N`` spreads the chunks over N processes (same
images for any N).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corrupt"))

from corrupt_reference import reference_corruption  # noqa: E402

MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)


def small_cnn() -> nn.Module:
    """A strided CNN cheap enough to train on a busy CPU in minutes (about 6 MFLOP per image)."""
    def block(cin, cout, kernel, stride):
        return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout),
                             nn.ReLU())

    return nn.Sequential(block(3, 32, 5, 2), block(32, 64, 3, 2), block(64, 128, 3, 2), block(128, 128, 3, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


def normalise(x_uint8: torch.Tensor) -> torch.Tensor:
    return (x_uint8.float() / 255 - MEAN) / STD


def train(images: np.ndarray, labels: np.ndarray, epochs: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    model = small_cnn()
    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    y_all = torch.from_numpy(labels).long()
    steps = epochs * (len(x_all) // 128)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x_all), generator=gen)
        for i in range(0, len(order) - 127, 128):
            idx = order[i:i + 128]
            x = x_all[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5
            x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
            loss = F.cross_entropy(model(normalise(x)), y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


@torch.no_grad()
def accuracy(model: nn.Module, images_nhwc: np.ndarray, labels: np.ndarray) -> float:
    x = torch.from_numpy(np.ascontiguousarray(images_nhwc)).permute(0, 3, 1, 2)
    preds = torch.cat([model(normalise(x[i:i + 500])).argmax(1) for i in range(0, len(x), 500)])
    return float((preds.numpy() == labels).mean() * 100)


REFERENCES = {"cifar10-c": "make_cifar_c", "voc-c": "imagecorruptions"}


def _reference_chunk(job: tuple) -> np.ndarray:
    """Corrupt one chunk of images with a reference, seeding np.random for the chunk (runs in workers)."""
    reference, name, severity, seed, images = job
    warnings.filterwarnings("ignore")
    np.random.seed(seed)
    corrupt_image = reference_corruption(reference, name)
    return np.stack([corrupt_image(img, severity) for img in images])


def reference_images(reference: str, name: str, severity: int, images: np.ndarray, chunk: int, pool) -> np.ndarray:
    """The reference's corrupted images, chunk by chunk (seed per chunk: the same for any worker count)."""
    jobs = [(reference, name, severity, zlib.crc32(f"{name}/{severity}/{i // chunk}".encode()), images[i:i + chunk])
            for i in range(0, len(images), chunk)]
    parts = pool.map(_reference_chunk, jobs) if pool is not None else [_reference_chunk(job) for job in jobs]
    return np.concatenate(parts)


def our_accuracies(model, suite, name: str, severity: int, x: torch.Tensor, labels: np.ndarray, seeds: int,
                   chunk: int) -> list[float]:
    """Accuracy on our suite's images for batch_generator seeds 0..seeds-1."""
    from dscr import corrupt

    out = []
    for seed in range(seeds):
        parts = [suite.apply(name, x[i:i + chunk], severity, corrupt.batch_generator(seed, name, severity, b))
                 for b, i in enumerate(range(0, len(x), chunk))]
        out.append(accuracy(model, torch.cat(parts).permute(0, 2, 3, 1).numpy(), labels))
    return out


def _fmt(values, sign: str = "") -> str:
    return " / ".join(f"{v:{sign}.1f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=tuple(REFERENCES), default="cifar10-c")
    parser.add_argument("--images", type=int, default=2000, help="test images (10000: all)")
    parser.add_argument("--order", choices=("shuffled", "file"), default="shuffled",
                        help="which images: a fixed random sample (shuffled) or the first ones in file order")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=2, help="seeds of our suite (>= 2 to see its spread)")
    parser.add_argument("--workers", type=int, default=1, help="processes for the reference")
    parser.add_argument("--batch-size", type=int, default=1000, help="chunk of images per batch / reference job")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--root", default="data")
    args = parser.parse_args()
    if args.seeds < 1 or args.workers < 1 or args.batch_size < 1:
        parser.error("--seeds, --workers and --batch-size must be >= 1")
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)

    from dscr import corrupt

    train_x = np.load(f"{args.root}/cifar10/train_images.npy")
    train_y = np.load(f"{args.root}/cifar10/train_labels.npy")
    test_x = np.load(f"{args.root}/cifar10/test_images.npy")
    test_y = np.load(f"{args.root}/cifar10/test_labels.npy")
    if args.images > len(test_x):
        parser.error(f"--images {args.images}: the test set has {len(test_x)}")
    pick = (np.random.default_rng(0).permutation(len(test_x)) if args.order == "shuffled"
            else np.arange(len(test_x)))[:args.images]
    test_x, test_y = test_x[pick], test_y[pick]
    t0 = time.perf_counter()
    model = train(train_x, train_y, args.epochs, seed=0)
    clean = accuracy(model, test_x, test_y)
    reference = REFERENCES[args.suite]
    print(f"small CNN, {args.epochs} epochs ({time.perf_counter() - t0:.0f}s): clean accuracy {clean:.2f}% "
          f"on {args.images} test images ({args.order}); ours: {args.suite} seeds 0..{args.seeds - 1}, "
          f"reference: {reference}")
    suite = corrupt.get_suite(args.suite)
    x = torch.from_numpy(test_x).permute(0, 3, 1, 2).contiguous()
    print("| corruption | ours acc % sev 1..5 | reference acc % sev 1..5 | ours - ref, points | "
          "ours seed spread, points |")
    print("|---|---|---|---|---|")
    diffs, spreads = [], []
    ref_seconds = 0.0
    pool = None
    if args.workers > 1:
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(args.workers)
    try:
        for name in suite.corruptions:
            ours_acc, ref_acc, spread = [], [], []
            for severity in suite.severities:
                per_seed = our_accuracies(model, suite, name, severity, x, test_y, args.seeds, args.batch_size)
                ours_acc.append(per_seed[0])
                spread.append(max(per_seed) - min(per_seed))
                t1 = time.perf_counter()
                ref = reference_images(reference, name, severity, test_x, args.batch_size, pool)
                ref_seconds += time.perf_counter() - t1
                ref_acc.append(accuracy(model, ref, test_y))
            diff = [o - r for o, r in zip(ours_acc, ref_acc)]
            diffs += diff
            spreads += spread
            print(f"| {name} | {_fmt(ours_acc)} | {_fmt(ref_acc)} | {_fmt(diff, '+')} | {_fmt(spread)} |",
                  flush=True)
    finally:
        if pool is not None:
            pool.close()
    over = lambda values: sum(abs(v) > 1.0 for v in values)  # noqa: E731
    spread_note = (f"max seed spread {max(spreads):.1f} points ({over(spreads)} of {len(spreads)} cells > 1 point)"
                   if args.seeds > 1 else "seed spread not measured (--seeds 1)")
    print(f"summary: max |ours - ref| {max(abs(d) for d in diffs):.1f} points ({over(diffs)} of {len(diffs)} cells "
          f"> 1 point); {spread_note}; reference generation {ref_seconds:.0f}s with {args.workers} worker(s)")


if __name__ == "__main__":
    main()
