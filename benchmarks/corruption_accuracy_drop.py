"""Accuracy drop caused by dscr.corrupt vs by the reference, on one fixed CIFAR-10 model.

    python benchmarks/corruption_accuracy_drop.py [--images 2000] [--epochs 3] [--threads 2]

Trains a small CNN on data/cifar10 (materialised by `dscr data cifar10`) with a fixed seed, then corrupts
the first --images test images with every corruption and severity twice: with our `voc-c` suite and with
imagecorruptions (same ImageNet constants; the CIFAR constants' own script needs Wand and cannot run
here), and prints the model's accuracy on both and the difference in points. The images are the same, so
the difference measures the corruptions, not the sample; its binomial noise is still about
sqrt(2 p (1-p) / n) points for unrelated errors.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--root", default="data")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    from imagecorruptions import corrupt as reference

    from dscr import corrupt

    train_x = np.load(f"{args.root}/cifar10/train_images.npy")
    train_y = np.load(f"{args.root}/cifar10/train_labels.npy")
    test_x = np.load(f"{args.root}/cifar10/test_images.npy")
    test_y = np.load(f"{args.root}/cifar10/test_labels.npy")
    pick = np.random.default_rng(0).permutation(len(test_x))[:args.images]  # the test set is sorted by class
    test_x, test_y = test_x[pick], test_y[pick]
    t0 = time.perf_counter()
    model = train(train_x, train_y, args.epochs, seed=0)
    clean = accuracy(model, test_x, test_y)
    print(f"small CNN, {args.epochs} epochs ({time.perf_counter() - t0:.0f}s): clean accuracy {clean:.2f}% "
          f"on {args.images} test images")
    suite = corrupt.get_suite("voc-c")
    x = torch.from_numpy(test_x).permute(0, 3, 1, 2).contiguous()
    print("| corruption | ours acc % sev 1..5 | reference acc % sev 1..5 | ours - ref, points | max abs |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for name in suite.corruptions:
        ours_acc, ref_acc = [], []
        for severity in suite.severities:
            ours = suite.apply(name, x, severity, corrupt.batch_generator(0, name, severity, 0))
            ours_acc.append(accuracy(model, ours.permute(0, 2, 3, 1).numpy(), test_y))
            np.random.seed(severity)
            ref = np.stack([reference(img, severity, name) for img in test_x])
            ref_acc.append(accuracy(model, ref, test_y))
        diff = [o - r for o, r in zip(ours_acc, ref_acc)]
        worst = max(worst, max(abs(d) for d in diff))
        fmt = lambda v: " / ".join(f"{a:.1f}" for a in v)  # noqa: E731
        print(f"| {name} | {fmt(ours_acc)} | {fmt(ref_acc)} | {' / '.join(f'{d:+.1f}' for d in diff)} | "
              f"{max(abs(d) for d in diff):.1f} |", flush=True)
    print(f"largest |difference|: {worst:.1f} points")


if __name__ == "__main__":
    main()
