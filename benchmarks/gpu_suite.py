"""Where the time goes on one GPU, measured side by side in one run (issue 17), in at most 8 minutes on an A100/H100.

    python benchmarks/gpu_suite.py             # one GPU; needs `dscr data cifar10`
    python benchmarks/gpu_suite.py --quick     # tiny sizes on any device, seconds on a CPU (kept working by a test)

Sections, each with the images/s it measured and the ratios the issue targets:
1. VGG16 / CIFAR-10 training: our loop (`fit()` itself: device-resident uint8 data, batched crop/flip, bf16,
   channels_last) vs the compute-only ceiling (same model, bf16, channels_last, one synthetic batch already on
   the device) vs the classic loop (fp32, DataLoader + PIL workers). Target: ours >= 0.9x the ceiling.
2. ResNet-50 on an ImageNet-style JPEG folder made on the fly (photo-like JPEGs of ImageNet's typical size):
   our input pipeline (decode + RandomResizedCrop + flip on the device) feeding the model vs the synthetic-input
   ceiling, and the PIL-worker fallback. Files come from the page cache, not a disk. Target: >= 0.8x.
3. Per DST algorithm, the training step time relative to dense at Table 3's ΔT (VGG16/CIFAR-10: ΔT = 500 steps
   of 100 images, so an epoch of 50 000 images holds exactly one mask update). Target: <= 1.03x (SET, MEST_g,
   GraNet_g), <= 1.06x (RigL).
4. CIFAR-10-C on the fly (19 corruptions x 5 severities x N images, generated and scored) vs scoring the same
   number of clean images; per corruption, generation images/s beside model inference images/s. Target: <= 1.2x.
5. Options of item 3: optimizer implementations (foreach, fused) and torch.compile, our loop's images/s.

Training figures are the run's own per-epoch training time (metrics.json history) of its last epochs, the first
epoch being warm-up (cuDNN autotuning, compilation). Clock: wall time after a CUDA synchronisation; on a CPU the
same wall clock, which on a shared machine is noisy (the --quick figures only show that the suite works).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from suite_parts import jpeg_folder, pil_cifar_loader, timed_train_steps  # noqa: E402

from dscr.config import load_config  # noqa: E402
from dscr.engine.memory import PeakMemory  # noqa: E402
from tasks.classification import train  # noqa: E402
from tasks.classification.config import TrainConfig  # noqa: E402

DST_ALGORITHMS = ("set", "rigl", "mest_g", "granet_g")
DST_TARGETS = {"set": 1.03, "rigl": 1.06, "mest_g": 1.03, "granet_g": 1.03}
QUICK_CORRUPTIONS = ("gaussian_noise", "glass_blur", "fog")  # --quick: a noise, the slowest blur, a weather
# Sizes: (full on one GPU, --quick on a CPU).
SIZES = {
    "cifar_model": ("vgg16", "resnet_tiny"), "cifar_batch": (100, 8), "cifar_steps": (300, 3),
    "imagenet_model": ("resnet50", "resnet_tiny"), "imagenet_size": (224, 32), "imagenet_batch": (256, 4),
    "jpegs": (4096, 16), "jpeg_scale": (1, 5), "interval": (500, 4), "eval_images": (1000, 8), "ceiling_steps": (50, 3),
}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def fit_run(config: str, out: Path, name: str, overrides: list[str]) -> dict:
    """Train a run through `fit()` with its output silenced; returns its metrics (per-epoch times in history)."""
    cfg = load_config(TrainConfig, REPO / "tasks/classification/configs" / config,
                      [*overrides, f"out_dir={out}", f"name={name}"])
    with contextlib.redirect_stdout(io.StringIO()):
        return train.fit(cfg)[1]


def steady_images_per_s(metrics: dict, images_per_epoch: int) -> float:
    """Images/s over the epochs after the first (median of per-epoch rates)."""
    times = [r["train_time_s"] for r in metrics["history"][1:]]
    return images_per_epoch / statistics.median(times)


def cifar_training(args, out: Path, device: torch.device) -> dict:
    """Section 1: our loop, the compute-only ceiling and the classic fp32 DataLoader + PIL loop."""
    model_name, batch, steps = args.size("cifar_model"), args.size("cifar_batch"), args.size("cifar_steps")
    common = [f"model.name={model_name}", f"batch_size={batch}", f"data.train_subset={batch * steps}",
              f"data.test_subset={batch}", f"data.root={args.data_root}", "epochs=3", f"device={device.type}"]
    ours = fit_run("cifar10_vgg16.yaml", out, "vgg16_dense", common)
    cfg = load_config(TrainConfig, REPO / "tasks/classification/configs/cifar10_vgg16.yaml", common)
    ceiling = _ceiling(cfg, device, batch, (3, 32, 32), args.size("ceiling_steps"))
    model = train.build_model(cfg).to(device)
    model.mean.zero_()  # the classic loop feeds normalised floats
    model.inv_std.fill_(1.0 / 255.0)
    loader = pil_cifar_loader(args.data_root, batch, workers=args.workers, pin=device.type == "cuda")
    classic = timed_train_steps(model, loader, device, amp=False, channels_last=False,
                                steps=args.size("ceiling_steps"))
    return {"ours": steady_images_per_s(ours, batch * steps), "ceiling": ceiling, "classic": classic,
            "run": out / "vgg16_dense"}


def _ceiling(cfg: TrainConfig, device: torch.device, batch: int, shape: tuple[int, ...], steps: int) -> float:
    """The same model trained on one synthetic uint8 batch already on the device: bf16 on CUDA, channels_last."""
    model = train.build_model(cfg).to(device).to(memory_format=torch.channels_last)
    images = torch.randint(0, 256, (batch, *shape), dtype=torch.uint8, device=device)
    labels = torch.randint(0, 10, (batch,), device=device)
    return timed_train_steps(model, [(images, labels)] * (steps + 3), device, amp=device.type == "cuda",
                             channels_last=True, steps=steps)


def imagenet_pipeline(args, out: Path, device: torch.device) -> dict:
    """Section 2: ResNet-50 fed by the device JPEG pipeline, by PIL workers, and by a synthetic batch."""
    size, batch = args.size("imagenet_size"), args.size("imagenet_batch")
    root, mean_kb = jpeg_folder(out / "jpegs", args.size("jpegs"), val_per_class=max(1, batch // 10),
                                scale=args.size("jpeg_scale"))
    common = [f"model.name={args.size('imagenet_model')}", f"data.root={root}", f"data.image_size={size}",
              f"batch_size={batch}", f"data.eval_batch_size={batch}", f"data.num_workers={args.workers}",
              "epochs=3", f"device={device.type}"]
    images_per_epoch = args.size("jpegs") // batch * batch
    result = {"mean_jpeg_kb": mean_kb}
    for decode in ("device", "pil"):
        metrics = fit_run("imagenet_resnet50.yaml", out, f"resnet50_{decode}", common + [f"data.decode={decode}"])
        result[decode] = steady_images_per_s(metrics, images_per_epoch)
    cfg = load_config(TrainConfig, REPO / "tasks/classification/configs/imagenet_resnet50.yaml", common)
    result["ceiling"] = _ceiling(cfg, device, batch, (3, size, size), args.size("ceiling_steps"))
    return result


def dst_overheads(args, out: Path, device: torch.device) -> dict[str, float]:
    """Section 3: median epoch time of each DST algorithm over dense's, one mask update per epoch (ΔT steps)."""
    model_name, batch, interval = args.size("cifar_model"), args.size("cifar_batch"), args.size("interval")
    common = [f"model.name={model_name}", f"batch_size={batch}", f"data.train_subset={batch * interval}",
              f"data.test_subset={batch}", f"data.root={args.data_root}", f"dst.update_interval={interval}",
              "epochs=3", f"device={device.type}"]
    times = {}
    for algorithm in ("dense", *DST_ALGORITHMS):
        metrics = fit_run("cifar10_vgg16.yaml", out, f"dst_{algorithm}", common + [f"dst.algorithm={algorithm}"])
        updates = [u["step"] for u in metrics["mask_updates"][1:]]
        assert algorithm == "dense" or len(updates) >= 2, f"{algorithm}: no mask update in the timed epochs"
        times[algorithm] = statistics.median(r["train_time_s"] for r in metrics["history"][1:])
    return {a: times[a] / times["dense"] for a in DST_ALGORITHMS}


def corruption_eval(args, run_dir: Path, device: torch.device) -> dict:
    """Section 4: the on-the-fly CIFAR-10-C sweep vs the same number of clean images; generation per corruption."""
    from dscr.corrupt import batch_generator, get_suite
    from dscr.eval import clean_accuracy, corruption_sweep
    from tasks.classification.evaluate import array_test_batches, load_run, predictor

    suite = get_suite("cifar10-c")
    corruptions = list(suite.corruptions if not args.quick else QUICK_CORRUPTIONS)
    model, _ = load_run(run_dir, device)
    predicts = {"vgg16": predictor(model, device)}
    batches = array_test_batches("cifar10", args.data_root, args.size("eval_images"), 500, device)
    n = sum(len(y) for _, y in batches)
    corruption_sweep(predicts, batches[:1], suite, corruptions=suite.corruptions[:1], severities=[1],
                     progress=False)  # warm-up
    timings = {}
    cells = len(corruptions) * len(suite.severities)
    for name, work in (("clean", lambda: clean_accuracy(predicts, batches * cells)),
                       ("on_the_fly", lambda: corruption_sweep(predicts, batches, suite, corruptions=corruptions,
                                                               progress=False))):
        sync(device)
        start = time.perf_counter()
        work()
        sync(device)
        timings[name] = time.perf_counter() - start
    generation = {}
    for corruption in corruptions:
        sync(device)
        start = time.perf_counter()
        for severity in suite.severities:
            for b, (images, _) in enumerate(batches):
                suite.apply(corruption, images, severity, batch_generator(0, corruption, severity, b, device))
        sync(device)
        generation[corruption] = n * len(suite.severities) / (time.perf_counter() - start)
    return {"images": n, "cells": cells, "ratio": timings["on_the_fly"] / timings["clean"],
            "inference": n * cells / timings["clean"], "generation": generation, **timings}


def optimizer_options(args, out: Path, device: torch.device) -> dict[str, float]:
    """Section 5: our VGG16 loop's images/s with each optimizer implementation, and compiled."""
    batch, steps = args.size("cifar_batch"), args.size("cifar_steps")
    common = [f"model.name={args.size('cifar_model')}", f"batch_size={batch}", f"data.train_subset={batch * steps}",
              f"data.test_subset={batch}", f"data.root={args.data_root}", "epochs=3", f"device={device.type}"]
    variants = {"foreach": ["optim.implementation=foreach"], "fused": ["optim.implementation=fused"]}
    if not args.no_compile:
        variants["compile (foreach)"] = ["optim.implementation=foreach", "compile=true"]
    result = {}
    for label, extra in variants.items():
        metrics = fit_run("cifar10_vgg16.yaml", out, "options_" + label.split()[0], common + extra)
        result[label] = steady_images_per_s(metrics, batch * steps)
        result[label + " first epoch s"] = metrics["history"][0]["train_time_s"]
    return result


def run_section(title: str, work, device: torch.device, report: list[str]):
    print(f"\n== {title}", flush=True)
    peak = PeakMemory(device)
    peak.reset()
    start = time.perf_counter()
    result = work()
    memory = peak.read()
    report.append(f"{title}: {time.perf_counter() - start:.0f} s, peak memory {memory['bytes'] / 2**30:.2f} GiB "
                  f"({memory['kind']})")
    return result


def verdict(ratio: float, target: float, at_least: bool) -> str:
    met = ratio >= target if at_least else ratio <= target
    return f"target {'>=' if at_least else '<='} {target:.2f}x: {'met' if met else 'NOT met'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CPU, seconds); the figures mean nothing")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-root", default=str(REPO / "data"))
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers (default: CPU count, 16 max)")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile variant of section 5")
    args = parser.parse_args(argv)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    args.size = lambda key: SIZES[key][1 if args.quick else 0]
    args.workers = args.workers if args.workers is not None else (0 if args.quick else min(16, os.cpu_count() or 1))
    args.no_compile = args.no_compile or args.quick
    if device.type == "cpu" and not args.quick:
        print("no GPU: the full sizes are meant for one; add --quick for a CPU check", flush=True)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device {name}, torch {torch.__version__}, CUDA {torch.version.cuda}, threads "
          f"{torch.get_num_threads()}, DataLoader workers {args.workers}, {'quick' if args.quick else 'full'} sizes")
    report: list[str] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gpu_suite_") as tmp:
        out = Path(tmp)
        cifar = run_section("1. CIFAR-10 training", lambda: cifar_training(args, out, device), device, report)
        print_cifar(cifar, args)
        jpeg = run_section("2. ImageNet JPEG pipeline", lambda: imagenet_pipeline(args, out, device), device, report)
        print_jpeg(jpeg, args)
        dst_ratios = run_section("3. DST step time at ΔT", lambda: dst_overheads(args, out, device), device, report)
        for algorithm, ratio in dst_ratios.items():
            print(f"{algorithm:10s} {ratio:6.3f}x dense   {verdict(ratio, DST_TARGETS[algorithm], False)}")
        cc = run_section("4. CIFAR-10-C on the fly", lambda: corruption_eval(args, cifar["run"], device), device,
                         report)
        print_corruptions(cc)
        options = run_section("5. optimizer and compile", lambda: optimizer_options(args, out, device), device,
                              report)
        for label in (k for k in options if not k.endswith(" s")):
            print(f"{label:20s} {options[label]:10.0f} img/s  ({options[label] / options['foreach']:.3f}x foreach; "
                  f"first epoch {options[label + ' first epoch s']:.1f} s)")
    print("\n== time and peak memory per section")
    print("\n".join(report))
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


def print_cifar(r: dict, args) -> None:
    print(f"{args.size('cifar_model')}, batch {args.size('cifar_batch')}: images/s")
    for key, label in (("ours", "ours (fit(): device uint8, bf16)"), ("ceiling", "compute-only ceiling"),
                       ("classic", "classic fp32 DataLoader + PIL")):
        print(f"  {label:34s} {r[key]:10.0f}")
    print(f"  ours / ceiling {r['ours'] / r['ceiling']:.3f}x   {verdict(r['ours'] / r['ceiling'], 0.9, True)}")
    print(f"  ours / classic {r['ours'] / r['classic']:.2f}x")


def print_jpeg(r: dict, args) -> None:
    print(f"{args.size('imagenet_model')} at {args.size('imagenet_size')} px, batch {args.size('imagenet_batch')}, "
          f"{args.size('jpegs')} JPEGs of {r['mean_jpeg_kb']:.0f} KB on average: images/s")
    for key, label in (("device", "device decode + crop (ours)"), ("pil", "PIL workers (fallback)"),
                       ("ceiling", "synthetic-input ceiling")):
        print(f"  {label:34s} {r[key]:10.0f}")
    print(f"  ours / ceiling {r['device'] / r['ceiling']:.3f}x   {verdict(r['device'] / r['ceiling'], 0.8, True)}")
    print(f"  PIL fallback / ceiling {r['pil'] / r['ceiling']:.3f}x")


def print_corruptions(r: dict) -> None:
    print(f"{r['cells']} cells (corruptions x severities) x {r['images']} images: on the fly {r['on_the_fly']:.2f} s, same count clean "
          f"{r['clean']:.2f} s: {r['ratio']:.3f}x   {verdict(r['ratio'], 1.2, False)}")
    print(f"model inference {r['inference']:.0f} img/s; generation img/s per corruption (all 5 severities):")
    for corruption, rate in sorted(r["generation"].items(), key=lambda kv: kv[1]):
        print(f"  {corruption:20s} {rate:10.0f}   {rate / r['inference']:6.2f}x inference")


if __name__ == "__main__":
    raise SystemExit(main())
