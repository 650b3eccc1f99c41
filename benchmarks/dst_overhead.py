"""Per-step overhead of each DST algorithm against dense training, measured side by side in one run.

Every algorithm trains its own copy of the same model on the same batches; rounds of ΔT steps are interleaved
across algorithms (so machine noise hits all of them alike) and each algorithm's time per step is the median
over rounds of (time of ΔT steps, update step included) / ΔT. Targets (issue 3): SET, MEST and GraNet within
3 % of dense, RigL within 6 %.

    python benchmarks/dst_overhead.py [--device cuda] [--rounds 5] [--interval 100] [--width 64]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from dscr import dst

TARGETS = {"set": 0.03, "rigl": 0.06, "mest_r": 0.03, "mest_g": 0.03, "granet_r": 0.03, "granet_g": 0.03}


def cnn(width: int, num_classes: int = 10) -> nn.Module:
    """A 6-conv CIFAR CNN (the SPEC's small-scale model), BN + ReLU, two poolings."""
    layers, cin = [], 3
    for i, cout in enumerate([width, width, 2 * width, 2 * width, 4 * width, 4 * width]):
        layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        if i in (1, 3):
            layers.append(nn.MaxPool2d(2))
        cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes))


def build(algorithm: str, args, device: torch.device, total_steps: int):
    torch.manual_seed(0)
    model = cnn(args.width).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    cfg = dst.DSTConfig(algorithm=algorithm, sparsity=0.5, distribution="erk", update_interval=args.interval,
                        prune_rate=0.3, decay="cosine")
    return model, opt, dst.create(model, opt, cfg, total_steps, seed=0)


def clock(device: torch.device) -> float:
    """CUDA: wall time after a sync. CPU: this process's CPU time, which other jobs on a shared machine do
    not inflate (the benchmark runs single-threaded on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        return time.perf_counter()
    return time.process_time()


def run_steps(model, opt, sparsifier, data, steps: int, device: torch.device) -> tuple[float, float]:
    """Train `steps` steps; returns (seconds per step, seconds per step spent inside sparsifier.step())."""
    total = inside = 0.0
    for i in range(steps):
        x, y = data[i % len(data)]
        start = clock(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        middle = clock(device)
        sparsifier.step()
        end = clock(device)
        opt.zero_grad(set_to_none=True)
        total += end - start
        inside += end - middle
    return total / steps, inside / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=int, default=100, help="ΔT")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--algorithms", nargs="*", default=["dense", *TARGETS])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    gen = torch.Generator().manual_seed(0)
    data = [(torch.randn(args.batch_size, 3, 32, 32, generator=gen).to(device),
             torch.randint(0, 10, (args.batch_size,), generator=gen).to(device)) for _ in range(8)]
    # The run is long enough that no schedule ends during the benchmark; one warm-up interval first.
    total = (args.rounds + 1) * args.interval * 10
    runs = {a: build(a, args, device, total) for a in args.algorithms}
    for algorithm, (model, opt, sp) in runs.items():
        run_steps(model, opt, sp, data, args.interval, device)
    times: dict[str, list[float]] = {a: [] for a in runs}
    inside: dict[str, list[float]] = {a: [] for a in runs}
    for _ in range(args.rounds):
        for algorithm, (model, opt, sp) in runs.items():
            per_step, in_step = run_steps(model, opt, sp, data, args.interval, device)
            times[algorithm].append(per_step)
            inside[algorithm].append(in_step)
    dense = statistics.median(times["dense"])
    print(f"device {device}, CNN width {args.width}, batch {args.batch_size}, ΔT {args.interval}, "
          f"{args.rounds} rounds, torch {torch.__version__}, threads {torch.get_num_threads()}")
    print("step = forward + backward + optimizer + sparsifier.step(); 'in step()' = time inside "
          "sparsifier.step() / dense step time (update steps included)")
    print(f"{'algorithm':10s} {'ms/step':>8s} {'vs dense':>9s} {'in step()':>10s} {'target':>7s}  updates")
    for algorithm, values in times.items():
        per_step = statistics.median(values)
        ratio = per_step / dense - 1
        own = statistics.median(inside[algorithm]) / dense
        target = TARGETS.get(algorithm)
        verdict = "" if target is None else ("ok" if ratio <= target else "over")
        print(f"{algorithm:10s} {per_step * 1e3:8.2f} {ratio * 100:+8.2f}% {own * 100:+9.2f}% "
              f"{'' if target is None else f'{target * 100:.0f} %':>7s}  {len(runs[algorithm][2].update_log) - 1:4d} "
              f"{verdict}")


if __name__ == "__main__":
    main()
