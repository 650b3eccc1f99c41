"""`dscr train-video --config FILE [key=value ...]` and `dscr evaluate-video RUN_DIR --suite ucf101-c`.

Video action recognition on UCF101 (tasks/video): training one dense or sparse run, then its clip and video
accuracy, clean and under every UCF101-C corruption x severity (written to RUN_DIR/robustness/<suite>.json).
"""

from __future__ import annotations


def add_parser(subparsers):
    """Register both subcommands; returns the first (train-video)."""
    train = subparsers.add_parser("train-video", help="train one UCF101 run (dense or sparse)",
                                  description="Train one video run. Overrides are dotted keys, e.g. "
                                  "dst.algorithm=rigl model.name=i3d_r50 data.root=data/ucf101 name=my-run.")
    train.add_argument("--config", required=True, help="a YAML under tasks/video/configs/ (r3d50, i3d_r50, smoke)")
    train.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    train.set_defaults(_run=run)

    ev = subparsers.add_parser("evaluate-video", help="clip/video accuracy of a video run, clean and on UCF101-C",
                               description="Evaluate a finished train-video run on a video corruption suite; "
                               "writes RUN_DIR/robustness/<suite>.json.")
    ev.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by dscr train-video")
    ev.add_argument("--suite", default="ucf101-c", help="video corruption suite (default: ucf101-c)")
    ev.add_argument("--corruptions", nargs="+", default=None, help="subset of the suite's corruptions")
    ev.add_argument("--severities", nargs="+", type=int, default=None, help="subset of the severities")
    ev.add_argument("--seed", type=int, default=0, help="corruption seed (default 0)")
    ev.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    ev.add_argument("--batch-size", type=int, default=0, help="test videos per batch (default: the run's)")
    ev.add_argument("--workers", type=int, default=None, help="decoding workers (default: the run's)")
    ev.add_argument("--clips", type=int, default=0, help="clips per test video (default: the run's)")
    ev.add_argument("--test-subset", type=int, default=None, help="fixed seeded subset of test videos")
    ev.add_argument("--from-disk", default=None, metavar="DIR",
                    help="read a copy written by dscr corrupt --suite ucf101-c (DIR/<corruption>/<severity>/...)")
    ev.set_defaults(_run=run)
    return train


def run(args) -> int:
    if args.command == "evaluate-video":
        return _evaluate(args)
    from dscr.config import ConfigError, load_config
    from tasks.video import train
    from tasks.video.config import VideoTrainConfig
    from tasks.video.models import list_models

    cfg = load_config(VideoTrainConfig, args.config, args.overrides)
    if cfg.model.name not in list_models():  # checked before any video is decoded
        raise ConfigError(f"config key 'model.name' is '{cfg.model.name}'; allowed: {', '.join(list_models())}")
    train.main(cfg)
    return 0


def _evaluate(args) -> int:
    from tasks.video.evaluate import evaluate_run

    evaluate_run(args.run_dir, args.suite, corruptions=args.corruptions, severities=args.severities,
                 seed=args.seed, device=args.device, batch_size=args.batch_size, num_workers=args.workers,
                 test_subset=args.test_subset, clips=args.clips, disk_root=args.from_disk)
    return 0
