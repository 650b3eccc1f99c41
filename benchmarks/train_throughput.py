"""Training throughput: our loop (device-resident uint8 data, batched crop/flip) vs a plain torchvision
DataLoader + PIL reference loop, on the same model and CIFAR-10 images, measured side by side.

    python benchmarks/train_throughput.py [--model resnet_tiny] [--steps 40] [--repeats 3] [--device auto]

Prints images/s of each (median over interleaved repeats) and their ratio. Needs `dscr data cifar10`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from suite_parts import PILCifar  # noqa: E402  (the classic loop's dataset, shared with gpu_suite.py)

from dscr import dst  # noqa: E402
from tasks.classification.data import Classifier, DeviceArrayLoader  # noqa: E402
from tasks.classification.datasets import get_info, load_arrays  # noqa: E402
from tasks.classification.models import create_model  # noqa: E402


def timed_steps(model, batches, optimizer, sparsifier, device, amp: bool, steps: int) -> float:
    """Images per second over `steps` training steps (after 3 warm-up steps)."""
    criterion = nn.CrossEntropyLoss()
    model.train()
    it = iter(batches)
    seen, start = 0, None
    for step in range(steps + 3):
        if step == 3:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        images, labels = next(it)
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        if device.type == "cuda" and images.dtype != torch.uint8:
            images = images.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        sparsifier.step()
        optimizer.zero_grad(set_to_none=True)
        seen += labels.shape[0] if step >= 3 else 0
    if device.type == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="resnet_tiny")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-root", default="data")
    args = parser.parse_args()
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    amp = device.type == "cuda"
    info = get_info("cifar10")
    images, labels = load_arrays("cifar10", args.data_root, "train")
    images, labels = np.asarray(images[:20_000]), labels[:20_000]

    def fresh_model():
        torch.manual_seed(0)
        net = create_model(args.model, info.num_classes)
        model = Classifier(net, info.mean, info.std).to(device)
        if device.type == "cuda":
            model = model.to(memory_format=torch.channels_last)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        return model, optimizer, dst.create(model, optimizer, dst.DSTConfig(), 10_000)

    def ours() -> float:
        model, optimizer, sparsifier = fresh_model()
        loader = DeviceArrayLoader(images, labels, args.batch_size, device, train=True, augment="crop_flip")
        return timed_steps(model, loader, optimizer, sparsifier, device, amp, args.steps)

    reference_loader = torch.utils.data.DataLoader(
        PILCifar(images, labels), batch_size=args.batch_size, shuffle=True,
        num_workers=args.workers, pin_memory=device.type == "cuda", drop_last=True,
        persistent_workers=args.workers > 0)

    def reference() -> float:
        model, optimizer, sparsifier = fresh_model()
        # The reference feeds normalised floats: bypass our uint8 normalisation.
        model.mean.zero_()
        model.inv_std.fill_(1.0 / 255.0)
        return timed_steps(model, reference_loader, optimizer, sparsifier, device, amp, args.steps)

    results = {"ours": [], "reference": []}
    for _ in range(args.repeats):  # interleaved, so drift in machine speed hits both alike
        results["ours"].append(ours())
        results["reference"].append(reference())
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"device={device} model={args.model} batch={args.batch_size} steps={args.steps} "
          f"repeats={args.repeats} threads={torch.get_num_threads()} amp={'bf16' if amp else 'off'}")
    print(f"{'loop':<34}{'images/s (median)':>18}   all runs")
    print(f"{'ours (device uint8 + batched aug)':<34}{med['ours']:>18.0f}   "
          + ", ".join(f"{v:.0f}" for v in results["ours"]))
    print(f"{'reference (DataLoader + PIL)':<34}{med['reference']:>18.0f}   "
          + ", ".join(f"{v:.0f}" for v in results["reference"]))
    print(f"ratio ours/reference: {med['ours'] / med['reference']:.2f}x")


if __name__ == "__main__":
    main()
