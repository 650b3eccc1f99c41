"""`dscr demo`: a CIFAR-10 study of dense vs DST at one sparsity, evaluated on CIFAR-10-C on the fly.

Trains each algorithm with the smoke recipe (finished runs are skipped), evaluates all of them in one
shared corruption pass over a fixed test subset, then prints and writes the Table-2-style table and plot.
"""

from __future__ import annotations

from pathlib import Path


def add_parser(subparsers):
    p = subparsers.add_parser("demo", help="dense vs DST on CIFAR-10, evaluated on all of CIFAR-10-C")
    p.add_argument("--algorithms", default="dense,set,rigl,mest_g,granet_g")
    p.add_argument("--sparsity", type=float, default=0.5)
    p.add_argument("--seeds", default="0", help="comma-separated training seeds")
    p.add_argument("--limit", type=int, default=1000, help="test images corrupted (0: the whole test set)")
    p.add_argument("--config", default="tasks/classification/configs/smoke.yaml")
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--report", default="reports/demo")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="training config overrides")
    return p


def run(args) -> int:
    import time

    from dscr.config import DscrError, load_config
    from dscr.report.demo import render
    from tasks.classification import train
    from tasks.classification.config import TrainConfig
    from tasks.classification.evaluate import evaluate_runs

    start = time.perf_counter()
    algorithms = args.algorithms.split(",")
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise DscrError(f"--seeds '{args.seeds}' must be comma-separated integers, e.g. 0,1,2") from None
    if args.limit < 0:  # checked before training, not after it
        raise DscrError(f"--limit {args.limit}: must be >= 0 (0: every test image)")
    runs = []
    for seed in seeds:
        for algo in algorithms:
            name = f"{algo}-seed{seed}"
            cfg = load_config(TrainConfig, args.config, [
                *args.overrides, f"dst.algorithm={algo}", f"dst.sparsity={args.sparsity}", f"seed={seed}",
                f"name={name}", f"out_dir={args.out}", "resume=true"])
            train.main(cfg)
            runs.append(Path(args.out) / name)
    results = evaluate_runs(runs, "cifar10-c", limit=args.limit, seed=0)
    table = render(results, algorithms, seeds, args.report, args.sparsity, args.limit)
    print(table)
    print(f"demo: {len(runs)} runs trained and evaluated on 19 corruptions x 5 severities in "
          f"{time.perf_counter() - start:.0f}s -> {args.report}/table.md")
    return 0
