"""`dscr train-seg --config FILE [key=value ...]` and `dscr evaluate-seg RUN_DIR --suite voc-c`: FCN on VOC."""

from __future__ import annotations


def add_parser(subparsers):
    """Register `train-seg` and `evaluate-seg`; returns the first (the CLI sets its default `_run`)."""
    train = subparsers.add_parser(
        "train-seg", help="train FCN-VGG16 on Pascal VOC (mmsegmentation), dense or sparse",
        description="Train one segmentation run with mmengine's Runner. Overrides are dotted keys of the "
        "mmseg config, e.g. data_root=/data/VOCdevkit/VOC2012 dst.sparsity=0.1 "
        "model.backbone.pretrained=/weights/vgg16-397923af.pth work_dir=runs/x resume=True.")
    train.add_argument("--config", required=True, help="an mmseg .py config under tasks/segmentation/configs/")
    train.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")

    evaluate = subparsers.add_parser(
        "evaluate-seg", help="clean and corrupted pixel accuracy / mIoU of a segmentation run",
        description="Evaluate RUN_DIR on the clean val set and every corruption x severity of the suite; "
        "writes RUN_DIR/robustness/<suite>.json.")
    evaluate.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `dscr train-seg`")
    evaluate.add_argument("--suite", default="voc-c", help="corruption suite (default: voc-c)")
    evaluate.add_argument("--corruptions", default="", help="comma-separated subset (default: all)")
    evaluate.add_argument("--severities", default="", help="comma-separated subset, e.g. 1,3,5 (default: all)")
    evaluate.add_argument("--max-images", type=int, default=0, help="only the first N val images (0: all)")
    evaluate.add_argument("--seed", type=int, default=0, help="corruption seed")
    evaluate.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    evaluate.add_argument("--checkpoint", default=None, help="a checkpoint instead of the run's newest")
    evaluate.set_defaults(_run=run_evaluate)
    return train


def run(args) -> int:
    """`train-seg`."""
    from tasks.segmentation import train

    cfg = train.load_config(args.config, args.overrides)
    runner = train.main(cfg)
    print(f"train-seg: run folder {runner.work_dir}")
    return 0


def run_evaluate(args) -> int:
    """`evaluate-seg`."""
    from dscr.config import DscrError
    from tasks.segmentation.evaluate import evaluate_run

    try:
        severities = [int(s) for s in args.severities.split(",") if s.strip()]
    except ValueError:
        raise DscrError(f"--severities '{args.severities}' must be comma-separated integers, e.g. 1,3,5") from None
    if args.max_images < 0:
        raise DscrError(f"--max-images {args.max_images}: must be >= 0 (0: every val image)")
    corruptions = [c.strip() for c in args.corruptions.split(",") if c.strip()]
    record = evaluate_run(args.run_dir, args.suite, corruptions or None, severities or None,
                          max_images=args.max_images, seed=args.seed, device=args.device,
                          checkpoint=args.checkpoint)
    print(f"evaluate-seg {record['suite']}: clean pixAcc {record['clean']['pixel_accuracy']:.2f} "
          f"mIoU {record['clean']['miou']:.2f} | robustness pixAcc {record['robustness']['pixel_accuracy']:.2f} "
          f"mIoU {record['robustness']['miou']:.2f} ({record['images_per_second']:.1f} images/s)")
    return 0
