"""`dscr data NAME`: materialise a dataset under data/ (mirror archive first, official download second)."""

from __future__ import annotations


def add_parser(subparsers):
    p = subparsers.add_parser("data", help="materialise a dataset under data/",
                              description="Materialise a dataset into <root>/<name>/ from the folder in "
                              "DSCR_DATA_MIRROR (or --mirror) when set, else from the official download. "
                              "Archives are checksum-verified; a failed run leaves nothing half-written.")
    p.add_argument("name", help="cifar10, cifar100 or fashionmnist")
    p.add_argument("--root", default="data")
    p.add_argument("--mirror", default=None, help="folder holding the archive (default: $DSCR_DATA_MIRROR)")
    return p


def run(args) -> int:
    import time

    from tasks.classification.datasets import get_info, materialise

    get_info(args.name)
    t0 = time.perf_counter()
    target = materialise(args.name, args.root, args.mirror)
    print(f"{args.name}: ready in {target} ({time.perf_counter() - t0:.1f}s)")
    return 0
