"""`dscr flops`: training FLOPs, inference FLOPs and parameters of a run, as the paper's Tables 4-7 count them.

Defaults per (model, dataset) follow the paper's Table 3 (batch size, distribution, ΔT, prune rate and decay)
and the layer convention its Tables 4-5 imply (first conv and linear layers dense: only that reproduces their
parameter counts); every default can be overridden by a flag.

`dscr flops --run RUN_DIR` counts a trained run with its own settings and data size and prints, beside the
estimates, what the run measured (its metrics.json): training wall time, images/s and peak memory.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# Paper Table 3, plus the dense layers that reproduce Tables 4-5's parameter counts.
SCENARIOS = {
    ("vgg16", "cifar10"): dict(batch_size=100, distribution="uniform", update_interval=500, prune_rate=0.1,
                               dense_first_layer=True, dense_layers=["2.*"]),
    ("resnet34", "cifar100"): dict(batch_size=100, distribution="uniform", update_interval=500, prune_rate=0.1,
                                   dense_first_layer=True, dense_layers=["fc.*"]),
    ("efficientnet_b0", "tinyimagenet"): dict(batch_size=128, distribution="uniform", update_interval=100,
                                              prune_rate=0.1),
    ("resnet50", "imagenet"): dict(batch_size=256, distribution="erk", update_interval=2000, prune_rate=0.1,
                                   granet_init_density=0.95, mest_bound=0.02 / 0.9),
    ("deit_base", "imagenet"): dict(batch_size=512, distribution="uniform", update_interval=7000, prune_rate=0.5),
    ("mlp", "fashionmnist"): dict(batch_size=8, distribution="erk", update_interval=300, prune_rate=0.1),
}
FALLBACK = dict(batch_size=128, distribution="erk", update_interval=100, prune_rate=0.1)
# What a finished run measured about its own cost (tasks/classification/train.py writes them to metrics.json).
MEASURED = ("wall_time_s", "images_per_s", "peak_memory_bytes", "peak_memory_kind")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register `dscr flops`; returns its subparser."""
    p = subparsers.add_parser("flops", help="training/inference FLOPs and parameters (paper Tables 4-7)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", help="a trained run folder: count it with its own config, show what it measured")
    p.add_argument("--model", help="a classification model name (e.g. vgg16, resnet34)")
    p.add_argument("--dataset", help="cifar10, cifar100, tinyimagenet, imagenet, fashionmnist")
    p.add_argument("--algorithm", default="dense", help="a DST algorithm name (default: dense)")
    p.add_argument("--sparsity", type=float, default=0.0)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int, help="global batch (default: the paper's for this scenario)")
    p.add_argument("--distribution", choices=["uniform", "er", "erk"])
    p.add_argument("--update-interval", type=int, help="ΔT in steps")
    p.add_argument("--prune-rate", type=float)
    p.add_argument("--decay", choices=["constant", "cosine", "polynomial"], default="polynomial")
    p.add_argument("--dense-first-layer", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--dense-layers", nargs="*", help="fnmatch patterns of weights kept dense")
    p.add_argument("--granet-init-density", type=float)
    p.add_argument("--mest-bound", type=float)
    p.add_argument("--mest-lambda", type=float, help="MEST's gradient weight in the prune score (non-zero: the "
                   "dense gradient of each update step is counted)")
    p.add_argument("--json", action="store_true", help="print {training_flops, inference_flops, params}")
    return p


def build(args) -> tuple[dict, object]:
    """The FLOP report for parsed arguments: (settings used, dscr.flops.FlopReport)."""
    from dscr import dst, flops
    from dscr.config import DscrError
    from tasks.classification import datasets, models

    info = datasets.get_info(args.dataset)
    settings = dict(SCENARIOS.get((args.model, args.dataset), FALLBACK))
    for key in ("batch_size", "distribution", "update_interval", "prune_rate", "dense_first_layer",
                "dense_layers", "granet_init_density", "mest_bound", "mest_lambda"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    batch_size = settings.pop("batch_size")
    try:
        config = dst.DSTConfig(algorithm=args.algorithm, sparsity=args.sparsity, decay=args.decay, **settings)
        dst.get_algorithm(args.algorithm)
    except ValueError as exc:
        raise DscrError(str(exc)) from None
    if args.epochs < 1 or batch_size < 1:
        raise DscrError("--epochs and --batch-size must be >= 1")
    model = models.create_model(args.model, info.num_classes)
    counts = flops.measure(model, (info.channels, info.image_size, info.image_size), config)
    return dict(settings, batch_size=batch_size), flops.report(counts, config, info.train_size, args.epochs,
                                                               batch_size)


def count_run(run_dir: str | Path) -> dict:
    """A trained run's estimated cost (FLOPs and parameters, counted with its own config and training-set size)
    beside its measured cost (from its metrics.json; None where the run has not finished)."""
    import yaml

    from dscr import flops
    from dscr.config import DscrError, from_dict
    from dscr.report.tables import read_json
    from tasks.classification.config import TrainConfig
    from tasks.classification.datasets import get_info
    from tasks.classification.train import build_model

    run_dir = Path(run_dir)
    try:
        raw = yaml.safe_load((run_dir / "config.yaml").read_text())
    except OSError:
        raise DscrError(f"{run_dir} has no config.yaml: not a training run folder") from None
    if not isinstance(raw, dict):
        raise DscrError(f"{run_dir}/config.yaml holds no run config (a run marked data missing?)")
    cfg = from_dict(TrainConfig, raw)
    info = get_info(cfg.data.name)
    size = cfg.data.image_size or info.image_size
    counts = flops.measure(build_model(cfg), (info.channels, size, size), cfg.dst)
    samples = min(cfg.data.train_subset or info.train_size, info.train_size)
    result = flops.report(counts, cfg.dst, samples, cfg.epochs, cfg.batch_size)
    metrics = read_json(run_dir / "metrics.json") or {}
    return {"model": cfg.model.name, "dataset": cfg.data.name, "algorithm": cfg.dst.algorithm,
            "sparsity": cfg.dst.sparsity, "epochs": cfg.epochs, "steps": result.total_steps,
            "training_flops": result.training_flops, "inference_flops": result.inference_flops,
            "params": result.params, **{key: metrics.get(key) for key in MEASURED}}


def run(args) -> int:
    """Print the counts; exit code 0."""
    import torch

    from dscr.config import DscrError

    torch.set_num_threads(min(torch.get_num_threads(), 4))
    if args.run:
        values = count_run(args.run)
        title = (f"{args.run}: {values['model']} / {values['dataset']}, {values['algorithm']} at sparsity "
                 f"{values['sparsity']}, {values['epochs']} epochs ({values['steps']} steps; the run's own config)")
    else:
        if not (args.model and args.dataset and args.epochs):
            raise DscrError("dscr flops: give --model, --dataset and --epochs, or --run RUN_DIR")
        settings, result = build(args)
        values = {"training_flops": result.training_flops, "inference_flops": result.inference_flops,
                  "params": result.params}
        title = (f"{args.model} / {args.dataset}, {args.algorithm} at sparsity {args.sparsity}, {args.epochs} "
                 f"epochs ({result.total_steps} steps; {settings})")
    if args.json:
        print(json.dumps(values))
        return 0
    print(title)
    print(f"training FLOPs  {values['training_flops']:.3e}")
    print(f"inference FLOPs {values['inference_flops']:.3e}")
    print(f"parameters      {values['params'] / 1e6:.2f} M")
    if args.run:
        print("measured (metrics.json): " + measured_text(values))
    return 0


def measured_text(values: dict) -> str:
    """'training wall time 85.2 s (487 img/s), peak memory 1093 MiB (cpu_peak_rss)', or why it is absent."""
    if values.get("wall_time_s") is None:
        return "not yet: the run has no finished metrics.json"
    text = f"training wall time {values['wall_time_s']:.1f} s ({values['images_per_s']:.0f} img/s)"
    if values.get("peak_memory_bytes") is None:
        return text + ", peak memory not recorded (a run from before peak memory was measured)"
    return text + f", peak memory {values['peak_memory_bytes'] / 2**20:.0f} MiB ({values['peak_memory_kind']})"
