"""`dscr evaluate RUN_DIR [RUN_DIR ...] --suite S`: robustness of trained runs under a corruption suite."""

from __future__ import annotations

# Evaluation-only suites (Tables 10-11), named here so that --help needs no torch import;
# tasks.classification.evaluate.OOD_SUITES maps them to their folders.
OOD_SUITES = ("imagenet-r", "imagenet-v2-matched-frequency", "imagenet-v2-threshold0.7", "imagenet-v2-top-images")


def add_parser(subparsers):
    p = subparsers.add_parser("evaluate", help="evaluate runs on a corruption (or OOD) suite",
                              description="Writes RUN_DIR/robustness/<suite>.json for each run. Runs given "
                              "together share one corruption pass.")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR")
    p.add_argument("--suite", required=True, help="a corruption suite (e.g. cifar10-c; `dscr corrupt --list` "
                   "lists them) or an out-of-distribution test set: " + ", ".join(OOD_SUITES))
    p.add_argument("--from", dest="from_dir", default=None,
                   help="a folder of corrupted images: published files or written by `dscr corrupt` "
                   "(default: corrupt on the fly)")
    p.add_argument("--published", action="store_true",
                   help="without --from: use the suite's published files under the data root when present "
                   "(data/CIFAR-10-C, data/CIFAR-100-C), else corrupt on the fly")
    p.add_argument("--limit", type=int, default=0, help="evaluate a fixed subset of N test images (0: all)")
    p.add_argument("--corruptions", default=None, help="comma-separated subset of the suite's corruptions")
    p.add_argument("--seed", type=int, default=0, help="corruption seed")
    p.add_argument("--batch-size", type=int, default=1000,
                   help="corruption batches: the same seed and batch size as `dscr corrupt` give the same images")
    p.add_argument("--device", default="auto")
    p.add_argument("--data-root", default=None, help="default: the runs' data.root")
    return p


def run(args) -> int:
    from tasks.classification.evaluate import evaluate_runs

    corruptions = args.corruptions.split(",") if args.corruptions else None
    results = evaluate_runs(args.runs, args.suite, limit=args.limit, seed=args.seed, from_dir=args.from_dir,
                            batch_size=args.batch_size, device=args.device, corruptions=corruptions,
                            data_root=args.data_root, prefer_published=args.published)
    for run_dir, r in results.items():
        print(f"{run_dir}: {args.suite} clean {r['clean_accuracy']:.2f}%  robustness "
              f"{r['robustness_accuracy']:.2f}%" + (f"  mCE {r['mce']:.1f}" if r.get("mce") else "")
              + (f"  ({r['source']})" if r.get("source") else ""))
    return 0
