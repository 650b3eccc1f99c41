"""Clip and video accuracy of a trained video run, clean and on every corruption x severity of UCF101-C.

Clip accuracy: top-1 over every test clip (the paper's video metric). Video accuracy: top-1 of the mean
softmax over a video's clips. Robustness accuracy: the mean clip accuracy over all corruptions x severities.
Every test clip is corrupted. Frame-wise and camera corruptions run on the decoded batch (on the model's
device, seeded per batch); temporal ones reorder whole videos inside the dataset (seeded per video).

`evaluate_run` writes `RUN_DIR/robustness/<suite>.json` with the keys the image suites use (`suite`,
`clean_accuracy`, `corruptions`, `robustness_accuracy`, `severity_means`) plus `clean_video_accuracy` and
`video_corruptions`.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from tqdm import tqdm

from dscr import corrupt
from dscr.config import DscrError, load_config
from dscr.corrupt.video import TEMPORAL
from dscr.engine import distributed
from dscr.engine.checkpoint import load_checkpoint
from dscr.engine.io import write_json_atomic
from dscr.engine.optim import autocast as engine_autocast
from dscr.results import mark_scope, partial_scope, result_path

from .config import VideoTrainConfig
from .data import UCF101, make_loader
from .models import NORMALIZATION, VideoClassifier, create_model

# (clips on the device, batch index) -> corrupted clips
ClipTransform = Callable[[torch.Tensor, int], torch.Tensor]


@torch.no_grad()
def evaluate(model: nn.Module, loader, device: torch.device, autocast=contextlib.nullcontext,
             transform: ClipTransform | None = None) -> dict[str, float]:
    """Clip accuracy, video accuracy (%) and mean clip cross-entropy, summed across DDP ranks.

    Args:
        model: uint8 clips (M, 3, T, H, W) -> logits.
        loader: yields (clips (B, K, 3, T, H, W) uint8, labels (B,)).
        device: where the model runs.
        autocast: a context-manager factory for the forward pass.
        transform: optional corruption applied to each batch of B*K clips on the device.

    Returns:
        {"clip_accuracy", "video_accuracy", "loss", "clips", "videos"}.
    """
    model.eval()
    totals = torch.zeros(5, device=device, dtype=torch.float64)  # clip hits, video hits, loss, clips, videos
    for batch_index, (clips, labels) in enumerate(loader):
        b, k = clips.shape[:2]
        x = clips.to(device, non_blocking=True).flatten(0, 1)
        labels = labels.to(device)
        if transform is not None:
            x = transform(x, batch_index)
        with autocast():
            logits = model(x).float()
        clip_labels = labels.repeat_interleave(k)
        video_probs = logits.softmax(1).view(b, k, -1).mean(1)
        totals += torch.stack([(logits.argmax(1) == clip_labels).sum().double(),
                               (video_probs.argmax(1) == labels).sum().double(),
                               nn.functional.cross_entropy(logits, clip_labels, reduction="sum").double(),
                               torch.tensor(b * k, device=device, dtype=torch.float64),
                               torch.tensor(b, device=device, dtype=torch.float64)])
    distributed.all_reduce_sum(totals)
    clip_hits, video_hits, loss, clips_seen, videos = totals.tolist()
    return {"clip_accuracy": 100.0 * clip_hits / max(clips_seen, 1),
            "video_accuracy": 100.0 * video_hits / max(videos, 1),
            "loss": loss / max(clips_seen, 1), "clips": int(clips_seen), "videos": int(videos)}


def suite_transform(suite, name: str, severity: int, seed: int, device: torch.device) -> ClipTransform:
    """Batch corruption for the frame-wise and camera corruptions, seeded per (corruption, severity, batch)."""

    def transform(x: torch.Tensor, batch_index: int) -> torch.Tensor:
        generator = corrupt.batch_generator(seed, name, severity, batch_index, device)
        return suite.apply(name, x, severity, generator)

    return transform


def evaluate_suite(model: nn.Module, dataset: UCF101, device: torch.device, suite_name: str = "ucf101-c", *,
                   corruptions: list[str] | None = None, severities: list[int] | None = None, seed: int = 0,
                   batch_size: int = 8, num_workers: int = 0, autocast=contextlib.nullcontext,
                   show: bool = True, disk_root: str | Path | None = None) -> dict:
    """Clean and corrupted accuracy of `model` on `dataset` (a test-split `UCF101`).

    Args:
        model: uint8 clips -> logits, on `device`.
        dataset: the test videos; its temporal corruption is set and reset here.
        device: the model's device.
        suite_name: a registered video suite.
        corruptions: subset of the suite's corruptions (None: all).
        severities: subset of the suite's severities (None: all).
        seed: corruption seed (per batch for frame-wise ones, per video for temporal ones).
        batch_size: test videos per batch.
        num_workers: DataLoader workers.
        autocast: context-manager factory for the forward pass.
        show: print a progress bar.
        disk_root: read corrupted videos written by `write_ucf101_c` (<disk_root>/<c>/<s>/...) instead of
            corrupting on the fly.

    Returns:
        The result record (see the module docstring).
    """
    suite = corrupt.get_suite(suite_name)
    names = list(corruptions or suite.corruptions)
    levels = list(severities or suite.severities)
    for name in names:
        suite.corruption(name)  # raises DscrError naming the allowed ones
    bad = [s for s in levels if s not in suite.severities]
    if bad:
        raise DscrError(f"severity {bad[0]} not in suite {suite.name}; allowed: {suite.severities}")
    rank, world_size = _rank_and_size()
    loader = make_loader(dataset, batch_size, train=False, num_workers=num_workers, rank=rank,
                         world_size=world_size)
    t0 = time.perf_counter()
    dataset.set_temporal_corruption(None)
    clean = evaluate(model, loader, device, autocast)
    clip_table: dict[str, dict[str, float]] = {}
    video_table: dict[str, dict[str, float]] = {}
    jobs = [(n, s) for n in names for s in levels]
    clean_root = dataset.video_root
    for name, severity in tqdm(jobs, desc=suite.name, disable=None if show else True, leave=False):
        if disk_root is not None:
            dataset.video_root = Path(disk_root) / name / str(severity)
            transform = None
        elif name in TEMPORAL:
            dataset.set_temporal_corruption(name, severity)
            transform = None
        else:
            dataset.set_temporal_corruption(None)
            transform = suite_transform(suite, name, severity, seed, device)
        result = evaluate(model, loader, device, autocast, transform)
        clip_table.setdefault(name, {})[str(severity)] = result["clip_accuracy"]
        video_table.setdefault(name, {})[str(severity)] = result["video_accuracy"]
    dataset.set_temporal_corruption(None)
    dataset.video_root = clean_root
    values = [v for row in clip_table.values() for v in row.values()]
    return {"suite": suite.name, "dataset": suite.dataset, "metric": "clip top-1 accuracy (%)",
            "clean_accuracy": clean["clip_accuracy"], "clean_video_accuracy": clean["video_accuracy"],
            "corruptions": clip_table, "video_corruptions": video_table,
            "robustness_accuracy": sum(values) / len(values) if values else float("nan"),
            "severity_means": {str(s): sum(clip_table[n][str(s)] for n in names) / len(names) for s in levels},
            "video_robustness_accuracy": (sum(v for row in video_table.values() for v in row.values())
                                          / max(len(values), 1)),
            "test_videos": clean["videos"], "clips_per_video": dataset.clips, "frames": dataset.frames,
            "crop_size": dataset.crop_size, "seed": seed, "temporal_scope": "video",
            "source": str(disk_root) if disk_root is not None else "on the fly",
            "severities_source": "first 4 of the 5 published (paper: 4 severities)",
            "wall_time_s": time.perf_counter() - t0}


def _rank_and_size() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def load_run(run_dir: str | Path, device: torch.device) -> tuple[VideoTrainConfig, VideoClassifier, dict]:
    """The config, the trained model (on `device`, eval mode) and the checkpoint of a finished run."""
    run_dir = Path(run_dir)
    ckpt_path = run_dir / "checkpoints" / "last.pt"
    if not ckpt_path.is_file():
        raise DscrError(f"no checkpoint at {ckpt_path}; train the run first (dscr train-video)")
    cfg = load_config(VideoTrainConfig, run_dir / "config.yaml")
    state = load_checkpoint(ckpt_path, map_location="cpu", required=("model", "num_classes", "epoch"))
    model = build_model(cfg, num_classes=state["num_classes"], pretrained=False)
    model.load_state_dict(state["model"])
    return cfg, model.to(device).eval(), state


def build_model(cfg: VideoTrainConfig, num_classes: int, pretrained: bool = True) -> VideoClassifier:
    """The configured network behind the configured input normalisation, sized for the configured clips."""
    kwargs = dict(cfg.model.kwargs, frames=cfg.data.frames, crop_size=cfg.data.crop_size)
    if pretrained and cfg.model.pretrained:
        kwargs["pretrained"] = cfg.model.pretrained
    return VideoClassifier(create_model(cfg.model.name, num_classes, **kwargs), *NORMALIZATION[cfg.data.normalize])


def evaluate_run(run_dir: str | Path, suite_name: str = "ucf101-c", *, corruptions: list[str] | None = None,
                 severities: list[int] | None = None, seed: int = 0, device: str = "auto",
                 batch_size: int = 0, num_workers: int | None = None, test_subset: int | None = None,
                 clips: int = 0, disk_root: str | Path | None = None) -> dict:
    """Evaluate a finished run on `suite_name` and write `RUN_DIR/robustness/<suite>.json` atomically (a
    subset of videos, corruptions or severities goes under a name that says so: `dscr.results`).

    Args:
        run_dir: a folder written by `dscr train-video`.
        suite_name: the video suite (ucf101-c).
        corruptions, severities: subsets (None: all).
        seed: corruption seed.
        device: auto, cpu or cuda.
        batch_size, num_workers, test_subset, clips: override the run's data settings (0 / None: keep).
        disk_root: a UCF101-C copy written by `tasks.video.corrupt_disk.write_ucf101_c` (None: on the fly).

    Returns:
        The result record that was written.
    """
    world, dev = distributed.init_distributed(device)
    cfg, model, state = load_run(run_dir, dev)
    data = cfg.data
    dataset = UCF101(data.root, data.split, train=False, frames=data.frames, crop_size=data.crop_size,
                     short_side=data.short_side, clips=clips or data.test_clips, seed=cfg.seed, offset=data.test_offset,
                     subset=data.test_subset if test_subset is None else test_subset)
    autocast = lambda: engine_autocast(cfg.amp, dev)  # noqa: E731
    record = evaluate_suite(model, dataset, dev, suite_name, corruptions=corruptions, severities=severities,
                            seed=seed, batch_size=batch_size or data.eval_batch_size,
                            num_workers=data.num_workers if num_workers is None else num_workers,
                            autocast=autocast, show=world.is_main, disk_root=disk_root)
    record.update({"run": cfg.name, "model": cfg.model.name, "algorithm": cfg.dst.algorithm,
                   "sparsity": cfg.dst.sparsity, "epoch": state["epoch"]})
    suite = corrupt.get_suite(suite_name)
    scope = partial_scope(limit=test_subset if test_subset not in (None, data.test_subset) else 0,
                          corruptions=corruptions, all_corruptions=suite.corruptions,
                          severities=severities, all_severities=suite.severities)
    if world.is_main:
        write_json_atomic(result_path(run_dir, record["suite"], scope), mark_scope(record, scope))
        print(f"{cfg.name}: clean clip acc {record['clean_accuracy']:.2f}%  video acc "
              f"{record['clean_video_accuracy']:.2f}%  {record['suite']} robustness acc "
              f"{record['robustness_accuracy']:.2f}%")
    distributed.barrier()
    return record
