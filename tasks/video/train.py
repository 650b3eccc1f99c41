"""Train one UCF101 run, dense or sparse: `dscr train-video --config tasks/video/configs/ucf101_r3d50.yaml`.

The classification loop's order (torchvision's reference script): distributed init, data, model, optimizer,
LR schedule, sparsifier (the shared `dscr.dst` module, nothing video-specific), DDP, resume, epoch loop.
Writes into `<out_dir>/<name>/`: `config.yaml`, `checkpoints/last.pt`, `metrics.json` and a dvclive log.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
import yaml
from torch import nn
from tqdm import tqdm

from dscr import dst
from dscr.config import DscrError, to_dict
from dscr.engine import distributed
from dscr.engine.checkpoint import save_checkpoint, seed_everything
from dscr.engine.io import write_json_atomic
from dscr.engine.live import log_epoch, open_live
from dscr.engine.loop import checkpoint_state, start_or_resume, wrap_ddp
from dscr.engine.optim import autocast, build_lr_schedule, build_optimizer
from dscr.engine.run import RunFiles, fingerprint

from .config import VideoTrainConfig
from .data import UCF101, make_loader
from .evaluate import build_model, evaluate

# The code a video training run executes (see tasks.classification.train.CODE): the video task imports the
# corruption engine for its temporal sampling, so that package is part of it.
CODE = ("dscr.config", "dscr.registry", "dscr.dst", "dscr.engine", "dscr.corrupt", "dscr.results",
        "tasks.video._compat", "tasks.video.config", "tasks.video.data", "tasks.video.evaluate", "tasks.video.models",
        "tasks.video.train")


def build_datasets(cfg: VideoTrainConfig) -> tuple[UCF101, UCF101]:
    d = cfg.data
    common = dict(split=d.split, frames=d.frames, crop_size=d.crop_size, short_side=d.short_side, seed=cfg.seed,
                  offset=d.test_offset, jitter=d.train_jitter, crop_scale=tuple(d.train_crop_scale))
    return (UCF101(d.root, train=True, subset=d.train_subset, **common),
            UCF101(d.root, train=False, clips=d.test_clips, subset=d.test_subset, **common))


def train_one_epoch(model, criterion, optimizer, lr_schedule, sparsifier, loader, cfg: VideoTrainConfig,
                    device: torch.device, epoch: int, steps: int, show: bool) -> tuple[float, int]:
    """One epoch of at most `steps` optimizer steps; returns (mean loss, clips seen on this rank)."""
    model.train()
    loss_sum = torch.zeros((), device=device)
    seen = 0
    batches = tqdm(loader, total=steps, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not show, leave=False)
    for step, (clips, labels) in enumerate(batches):
        if step >= steps:
            break
        clips, labels = clips.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with autocast(cfg.amp, device):
            loss = criterion(model(clips), labels)
        loss.backward()
        optimizer.step()
        sparsifier.step()
        optimizer.zero_grad(set_to_none=True)
        lr_schedule.step()
        loss_sum += loss.detach() * labels.shape[0]
        seen += labels.shape[0]
    return (loss_sum / max(seen, 1)).item(), seen


def main(cfg: VideoTrainConfig) -> dict:
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    world, device = distributed.init_distributed(cfg.device)
    show = world.is_main
    run = RunFiles(Path(cfg.out_dir) / cfg.name, cfg.work_dir)
    run.claim(resume=cfg.resume, overwrite=cfg.overwrite)
    identity = fingerprint(to_dict(cfg), CODE)

    seed_everything(cfg.seed)
    if cfg.batch_size % world.world_size:
        raise DscrError(f"batch_size {cfg.batch_size} does not split evenly over {world.world_size} processes")
    train_set, test_set = build_datasets(cfg)
    loader_args = dict(num_workers=cfg.data.num_workers, seed=cfg.seed, rank=world.rank,
                       world_size=world.world_size)
    train_loader = make_loader(train_set, cfg.batch_size // world.world_size, train=True, **loader_args)
    test_loader = make_loader(test_set, cfg.data.eval_batch_size, train=False, **loader_args)
    steps_per_epoch = len(train_loader)
    if cfg.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, cfg.max_steps_per_epoch)
    if steps_per_epoch == 0:
        raise DscrError(f"batch_size {cfg.batch_size} is larger than the training set; lower it")
    total_steps = cfg.epochs * steps_per_epoch

    num_classes = len(train_set.classes)
    model = build_model(cfg, num_classes).to(device)
    criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    optimizer = build_optimizer(cfg.optim, model)
    lr_schedule = build_lr_schedule(cfg.lr_schedule, optimizer, steps_per_epoch, cfg.epochs)

    def first_batch_loss() -> torch.Tensor:  # SNIP scores connections on one training batch
        clips, labels = next(iter(train_loader))
        return criterion(model(clips.to(device)), labels.to(device))

    sparsifier = dst.create(model, optimizer, cfg.dst, total_steps, loss_closure=first_batch_loss, seed=cfg.seed)
    train_model = wrap_ddp(model, world, device)

    start_epoch, history, train_time, train_clips = 0, [], 0.0, 0
    state = start_or_resume(run, identity, cfg.resume, yaml.safe_dump(to_dict(cfg), sort_keys=False), world,
                            model, optimizer, lr_schedule, sparsifier, device)
    if state:
        start_epoch, history = state["epoch"], state["history"]
        train_time, train_clips = state["train_time"], state["train_clips"]

    live = open_live(run.work_dir / "dvclive", history) if world.is_main else None
    for epoch in range(start_epoch, cfg.epochs):
        train_loader.sampler.set_epoch(epoch)
        train_set.set_epoch(epoch)
        t0 = time.perf_counter()
        train_loss, seen = train_one_epoch(train_model, criterion, optimizer, lr_schedule, sparsifier,
                                           train_loader, cfg, device, epoch, steps_per_epoch, show)
        distributed.average_buffers(model)  # BatchNorm statistics differ per rank after the last step
        if device.type == "cuda":
            torch.cuda.synchronize()
        train_time += time.perf_counter() - t0
        train_clips += seen * world.world_size
        record = {"epoch": epoch + 1, "step": (epoch + 1) * steps_per_epoch, "train_loss": train_loss,
                  "lr": optimizer.param_groups[0]["lr"], "density": sparsifier.densities()["global"]}
        if (epoch + 1) % cfg.eval_every == 0 or epoch + 1 == cfg.epochs:
            test = evaluate(model, test_loader, device, lambda: autocast(cfg.amp, device))
            record.update(test_clip_accuracy=test["clip_accuracy"], test_video_accuracy=test["video_accuracy"],
                          test_loss=test["loss"])
        history.append(record)
        if world.is_main:
            log_epoch(live, record, run.work_dir / "dvclive")
            save_checkpoint(run.last, checkpoint_state(
                model, optimizer, lr_schedule, sparsifier, epoch=epoch + 1, step=record["step"], history=history,
                train_time=train_time, train_clips=train_clips, num_classes=num_classes, config=to_dict(cfg),
                fingerprint=identity))
            accuracy = f"  test clip acc {record['test_clip_accuracy']:.2f}%" if "test_loss" in record else ""
            print(f"epoch {epoch + 1}/{cfg.epochs}  loss {train_loss:.4f}{accuracy}  density "
                  f"{record['density']:.4f}", flush=True)
        if cfg.halt_after_epochs and epoch + 1 >= cfg.halt_after_epochs and epoch + 1 < cfg.epochs:
            distributed.barrier()
            return {"halted_at_epoch": epoch + 1}

    final = history[-1]
    metrics = {"name": cfg.name, "epochs": cfg.epochs, "steps": total_steps,
               "test_clip_accuracy": final["test_clip_accuracy"],
               "test_video_accuracy": final["test_video_accuracy"], "test_loss": final["test_loss"],
               "density": sparsifier.densities(), "algorithm": cfg.dst.algorithm, "sparsity": cfg.dst.sparsity,
               "wall_time_s": train_time, "clips_per_s": train_clips / max(train_time, 1e-9),
               "history": history, "mask_updates": getattr(sparsifier, "update_log", [])}
    if world.is_main:
        write_json_atomic(run.work_dir / "metrics.json", metrics)
        if live:
            live.end()
        run.publish()
        print(f"{cfg.name}: clean test clip accuracy {final['test_clip_accuracy']:.2f}% (video "
              f"{final['test_video_accuracy']:.2f}%) after {cfg.epochs} epochs ({metrics['clips_per_s']:.1f} "
              f"clips/s, density {metrics['density']['global']:.3f}) -> {run.run_dir}")
    distributed.barrier()
    return metrics
