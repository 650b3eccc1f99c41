"""`dscr flops`: training FLOPs, inference FLOPs and parameters of a run, as the paper's Tables 4-7 count them.

Defaults per (model, dataset) follow the paper's Table 3 (batch size, distribution, ΔT, prune rate and decay)
and the layer convention its Tables 4-5 imply (first conv and linear layers dense: only that reproduces their
parameter counts); every default can be overridden by a flag.
"""

from __future__ import annotations

import argparse
import json

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


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register `dscr flops`; returns its subparser."""
    p = subparsers.add_parser("flops", help="training/inference FLOPs and parameters (paper Tables 4-7)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a classification model name (e.g. vgg16, resnet34)")
    p.add_argument("--dataset", required=True, help="cifar10, cifar100, tinyimagenet, imagenet, fashionmnist")
    p.add_argument("--algorithm", default="dense", help="a DST algorithm name (default: dense)")
    p.add_argument("--sparsity", type=float, default=0.0)
    p.add_argument("--epochs", type=int, required=True)
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


def run(args) -> int:
    """Print the counts; exit code 0."""
    import torch

    torch.set_num_threads(min(torch.get_num_threads(), 4))
    settings, result = build(args)
    values = {"training_flops": result.training_flops, "inference_flops": result.inference_flops,
              "params": result.params}
    if args.json:
        print(json.dumps(values))
    else:
        print(f"{args.model} / {args.dataset}, {args.algorithm} at sparsity {args.sparsity}, {args.epochs} epochs "
              f"({result.total_steps} steps; {settings})")
        print(f"training FLOPs  {result.training_flops:.3e}")
        print(f"inference FLOPs {result.inference_flops:.3e}")
        print(f"parameters      {result.params / 1e6:.2f} M")
    return 0
