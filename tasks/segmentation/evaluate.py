"""Evaluate a trained FCN run on clean Pascal VOC val and on VOC-C: `dscr evaluate-seg RUN_DIR --suite voc-c`.

VOC-C is made on the fly by the corruption engine (`dscr.corrupt.get_suite("voc-c")`: the 19 `imagecorruptions`
corruptions x 5 severities, ImageNet constants): each val image is loaded at its original size, corrupted in RGB
as a (1, 3, H, W) uint8 batch with a generator seeded by (seed, corruption, severity, image index), then goes
through the rest of the config's test pipeline (resize, annotation loading, packing) and the model. Each image is
read once and evaluated under every condition, so one pass over the val set fills every confusion matrix.

Metrics (percent, as the paper's Table 12): pixel accuracy (correct / labelled pixels, 255 ignored) and mIoU
(mean over classes with a non-empty union, as mmseg's IoUMetric). Robustness = mean over corruptions x severities.
Writes `RUN_DIR/robustness/<suite>.json` atomically.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import torch
import numpy as np
from tqdm import tqdm

from dscr import corrupt
from dscr.config import DscrError
from dscr.engine.distributed import resolve_device
from dscr.engine.io import write_json_atomic
from dscr.results import mark_scope, partial_scope, result_path

from . import setup
from .train import RESOLVED_CONFIG


class ConfusionMatrix:
    """Accumulates a (num_classes x num_classes) confusion matrix (rows: ground truth, columns: prediction)."""

    def __init__(self, num_classes: int, ignore_index: int = 255):
        self.num_classes, self.ignore_index = num_classes, ignore_index
        self.matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)

    def update(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        """Add one prediction/label pair of equal shape (integer class maps)."""
        if pred.shape != target.shape:
            raise ValueError(f"prediction {tuple(pred.shape)} and label {tuple(target.shape)} differ in shape")
        valid = target != self.ignore_index
        index = target[valid].long() * self.num_classes + pred[valid].long()
        counts = torch.bincount(index, minlength=self.num_classes ** 2)
        self.matrix += counts.reshape(self.num_classes, self.num_classes).cpu()

    def scores(self) -> dict[str, float]:
        """{"pixel_accuracy": %, "miou": %}; classes absent from both labels and predictions do not count."""
        m = self.matrix.double()
        total = m.sum()
        true_positive = m.diag()
        union = m.sum(0) + m.sum(1) - true_positive
        present = union > 0
        pixel_accuracy = float(true_positive.sum() / total) if total > 0 else float("nan")
        miou = float((true_positive[present] / union[present]).mean()) if present.any() else float("nan")
        return {"pixel_accuracy": 100.0 * pixel_accuracy, "miou": 100.0 * miou}


def find_checkpoint(run_dir: Path) -> Path:
    """The newest checkpoint mmengine recorded in `run_dir/last_checkpoint`."""
    pointer = run_dir / "last_checkpoint"
    if not pointer.is_file():
        raise DscrError(f"{run_dir} has no last_checkpoint: train it first (dscr train-seg --config ...)")
    path = Path(pointer.read_text().strip())
    if not path.is_absolute() and not path.is_file():
        path = run_dir / path.name
    if not path.is_file():
        raise DscrError(f"checkpoint {path} named in {pointer} does not exist")
    return path


def load_run(run_dir: str | Path, device: torch.device, checkpoint: str | Path | None = None):
    """Build the run's model from `RUN_DIR/config.py` and load its newest (or the given) checkpoint.

    Returns:
        (config, model in eval mode on `device`).
    """
    setup()
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS

    run_dir = Path(run_dir)
    if not (run_dir / RESOLVED_CONFIG).is_file():
        raise DscrError(f"{run_dir} is not a segmentation run folder (no {RESOLVED_CONFIG})")
    cfg = Config.fromfile(str(run_dir / RESOLVED_CONFIG))
    init_default_scope(cfg.get("default_scope", "mmseg"))
    model = MODELS.build(cfg.model)
    load_checkpoint(model, str(checkpoint or find_checkpoint(run_dir)), map_location="cpu", strict=True,
                    logger="silent")
    return cfg, model.to(device).eval()


def _split_pipeline(dataset):
    from mmcv.transforms import LoadImageFromFile

    load, *rest = dataset.pipeline.transforms
    if not isinstance(load, LoadImageFromFile):
        raise DscrError("the test pipeline must start with LoadImageFromFile (corruptions apply to the raw image)")
    return load, rest


def _predict(model, results: dict, rest) -> tuple[torch.Tensor, torch.Tensor]:
    from mmengine.dataset import pseudo_collate

    for transform in rest:
        results = transform(results)
    sample = model.test_step(pseudo_collate([results]))[0]
    return sample.pred_sem_seg.data[0], sample.gt_sem_seg.data[0].to(sample.pred_sem_seg.data.device)


def _corrupt_bgr(suite, name: str, severity: int, image_bgr, index: int, seed: int, device) -> np.ndarray:
    rgb = torch.from_numpy(image_bgr[..., ::-1].copy()).permute(2, 0, 1)[None].to(device)
    generator = corrupt.batch_generator(seed, name, severity, index, device=device)
    out = suite.apply(name, rgb, severity, generator)
    return out[0].permute(1, 2, 0).flip(-1).contiguous().cpu().numpy()


@torch.no_grad()
def evaluate_run(run_dir: str | Path, suite_name: str = "voc-c", corruptions: list[str] | None = None,
                 severities: list[int] | None = None, max_images: int = 0, seed: int = 0,
                 device: str = "auto", checkpoint: str | Path | None = None) -> dict:
    """Clean and corrupted pixel accuracy / mIoU of one run; writes `RUN_DIR/robustness/<suite>.json` (a
    subset of images, corruptions or severities under a name that says so: `dscr.results`).

    Args:
        run_dir: a folder written by `dscr train-seg`.
        suite_name: corruption suite (voc-c).
        corruptions: a subset of the suite's corruptions (None: all).
        severities: a subset of its severities (None: all).
        max_images: evaluate only the first N val images (0: all) — for smoke runs.
        seed: corruption seed.
        device: "auto", "cpu" or "cuda".
        checkpoint: a checkpoint file instead of the run's newest.

    Returns:
        The JSON record: suite, clean, corruptions {name: {severity: scores}}, robustness, and timing.
    """
    from mmseg.registry import DATASETS

    suite = corrupt.get_suite(suite_name)
    names = list(corruptions or suite.corruptions)
    levels = list(severities or suite.severities)
    for name in names:
        suite.corruption(name)  # raises DscrError listing the allowed names
    if bad := [s for s in levels if s not in suite.severities]:
        raise DscrError(f"severities {bad} not in suite {suite.name}; allowed: {suite.severities}")
    device = resolve_device(device)
    cfg, model = load_run(run_dir, device, checkpoint)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    load, rest = _split_pipeline(dataset)
    num_classes = model.decode_head.num_classes
    ignore_index = model.decode_head.ignore_index
    clean = ConfusionMatrix(num_classes, ignore_index)
    matrices = {(n, s): ConfusionMatrix(num_classes, ignore_index) for n in names for s in levels}
    count = min(len(dataset), max_images) if max_images else len(dataset)
    start = time.perf_counter()
    for index in tqdm(range(count), desc=f"{suite.name} eval", disable=None):
        raw = load(copy.deepcopy(dataset.get_data_info(index)))
        clean.update(*_predict(model, dict(raw), rest))
        for (name, severity), matrix in matrices.items():
            results = dict(raw)
            results["img"] = _corrupt_bgr(suite, name, severity, raw["img"], index, seed, device)
            matrix.update(*_predict(model, results, rest))
    seconds = time.perf_counter() - start
    per = {n: {str(s): matrices[(n, s)].scores() for s in levels} for n in names}
    all_scores = [scores for by_severity in per.values() for scores in by_severity.values()]
    record = {
        "suite": suite.name,
        "clean": clean.scores(),
        "corruptions": per,
        "robustness": {key: sum(s[key] for s in all_scores) / len(all_scores) for key in ("pixel_accuracy", "miou")},
        "images": count,
        "conditions": 1 + len(matrices),
        "seconds": seconds,
        "images_per_second": count * (1 + len(matrices)) / seconds if seconds > 0 else float("nan"),
    }
    scope = partial_scope(limit=max_images if max_images and max_images < len(dataset) else 0, corruptions=names,
                          all_corruptions=suite.corruptions, severities=levels, all_severities=suite.severities)
    write_json_atomic(result_path(run_dir, suite.name, scope), mark_scope(record, scope))
    return record
