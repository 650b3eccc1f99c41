"""Train one classification run, dense or sparse: `dscr train --config tasks/classification/configs/X.yaml`.

Reads top to bottom like torchvision's reference script: distributed init, data, model, optimizer, LR
schedule, sparsifier, DDP, resume, then the epoch loop. Writes into `<out_dir>/<name>/`: `config.yaml` (the
resolved config), `checkpoints/last.pt`, `metrics.json` and a dvclive log.
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
from dscr.engine.memory import PeakMemory
from dscr.engine.optim import autocast, build_lr_schedule, build_optimizer
from dscr.engine.run import RunFiles, fingerprint

from .batch_augment import BatchAugment, build_criterion
from .config import TrainConfig
from .data import Classifier, array_loaders, decodes_on_device, device_jpeg_loader, folder_dataset, folder_loader
from .datasets import get_info
from .models import create_model

# The code a training run executes: its hashes join the checkpoint's fingerprint (a run resumes only from a
# checkpoint of the same config and code), and dvc.yaml's train stages depend on exactly these files.
CODE = ("dscr.config", "dscr.registry", "dscr.dst", "dscr.engine", "tasks.classification.batch_augment",
        "tasks.classification.config", "tasks.classification.data", "tasks.classification.datasets",
        "tasks.classification.device_jpeg", "tasks.classification.models", "tasks.classification.train")


def build_loaders(cfg: TrainConfig, world: distributed.WorldInfo, device: torch.device):
    info = get_info(cfg.data.name)
    if cfg.batch_size % world.world_size:
        raise DscrError(f"batch_size {cfg.batch_size} does not split evenly over {world.world_size} processes")
    per_rank = cfg.batch_size // world.world_size
    common = dict(seed=cfg.seed, rank=world.rank, world_size=world.world_size)
    if info.kind == "array":
        if cfg.data.augment == "imagenet":
            raise DscrError(f"data.augment: imagenet (and rand_augment, repeat_aug) needs an image-folder dataset; "
                            f"{info.name} is held as arrays (use crop_flip or none)")
        return array_loaders(info, cfg.data.root, per_rank, device, augment=cfg.data.augment,
                             train_subset=cfg.data.train_subset, test_subset=cfg.data.test_subset,
                             eval_batch_size=cfg.data.eval_batch_size, **common)
    d = cfg.data
    if decodes_on_device(d.decode, d.augment, device, rand_augment=d.rand_augment, interpolation=d.interpolation):
        return tuple(device_jpeg_loader(info, d.root, split, d.image_size, batch, device, num_workers=d.num_workers,
                                        repeat_aug=d.repeat_aug, **common)
                     for split, batch in (("train", per_rank), ("val", d.eval_batch_size)))
    train_set = folder_dataset(info, d.root, "train", d.image_size, d.augment, rand_augment=d.rand_augment,
                               interpolation=d.interpolation)
    test_set = folder_dataset(info, d.root, "val", d.image_size, "none", interpolation=d.interpolation)
    return (folder_loader(train_set, per_rank, device, train=True, num_workers=d.num_workers,
                          repeat_aug=d.repeat_aug, **common),
            folder_loader(test_set, cfg.data.eval_batch_size, device, train=False,
                          num_workers=cfg.data.num_workers, **common))


def build_model(cfg: TrainConfig) -> Classifier:
    info = get_info(cfg.data.name)
    kwargs = dict(cfg.model.kwargs)
    if info.kind == "folder" and info.image_size >= 64:
        kwargs.setdefault("cifar_stem", False)
    if cfg.model.drop_path:
        kwargs["drop_path"] = cfg.model.drop_path
    net = create_model(cfg.model.name, info.num_classes, **kwargs)
    return Classifier(net, info.mean, info.std)


def compile_for_training(model: nn.Module, enabled: bool) -> nn.Module:
    """`torch.compile` the training forward when `enabled`. The DST masks stay correct: parameters are graph
    inputs, not constants, so the sparsifier's in-place mask multiply and moment resets after each optimizer
    step are seen by the next compiled call (mask changes alter values, never shapes: no recompilation)."""
    return torch.compile(model) if enabled else model


def train_one_epoch(model, criterion, optimizer, lr_schedule, sparsifier, loader, cfg, device, epoch, show,
                    augment: BatchAugment):
    model.train()
    loss_sum = torch.zeros((), device=device)
    seen = 0
    for images, labels in tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=None if show else True, leave=False):
        inputs, targets = augment(images, labels)
        if cfg.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        with autocast(cfg.amp, device):
            loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        sparsifier.step()
        optimizer.zero_grad(set_to_none=True)
        lr_schedule.step()
        loss_sum += loss.detach() * labels.shape[0]
        seen += labels.shape[0]
    return (loss_sum / max(seen, 1)).item(), seen


@torch.no_grad()
def evaluate(model: nn.Module, loader, device: torch.device, cfg: TrainConfig | None = None) -> dict[str, float]:
    """Top-1 accuracy (%) and mean cross-entropy over the whole test set, summed across DDP ranks."""
    model.eval()
    totals = torch.zeros(3, device=device, dtype=torch.float64)  # correct, loss sum, count
    for images, labels in loader:
        with autocast(cfg.amp if cfg else "off", device):
            logits = model(images).float()
        totals[0] += (logits.argmax(1) == labels).sum()
        totals[1] += nn.functional.cross_entropy(logits, labels, reduction="sum")
        totals[2] += labels.shape[0]
    distributed.all_reduce_sum(totals)
    correct, loss_sum, count = totals.tolist()
    return {"accuracy": 100.0 * correct / count, "loss": loss_sum / count}


def main(cfg: TrainConfig) -> dict:
    """Train the run `cfg` describes; returns its metrics (what metrics.json holds)."""
    return fit(cfg)[1]


def fit(cfg: TrainConfig) -> tuple[nn.Module, dict]:
    """Train and return (the unwrapped model as this process ended it, the metrics)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    world, device = distributed.init_distributed(cfg.device)
    show = world.is_main
    run = RunFiles(Path(cfg.out_dir) / cfg.name, cfg.work_dir)
    run.claim(resume=cfg.resume, overwrite=cfg.overwrite)
    identity = fingerprint(to_dict(cfg), CODE)

    seed_everything(cfg.seed)
    train_loader, test_loader = build_loaders(cfg, world, device)
    steps_per_epoch, total_steps = len(train_loader), cfg.epochs * len(train_loader)
    if steps_per_epoch == 0:
        raise DscrError(f"batch_size {cfg.batch_size} is larger than the training set; lower it")

    model = build_model(cfg).to(device)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    info = get_info(cfg.data.name)
    augment = BatchAugment(cfg, info.num_classes, info.mean, info.std, device, cfg.batch_size // world.world_size)
    criterion = build_criterion(cfg, augment.soft_targets)
    optimizer = build_optimizer(cfg.optim, model)
    lr_schedule = build_lr_schedule(cfg.lr_schedule, optimizer, steps_per_epoch, cfg.epochs)

    def first_batch_loss() -> torch.Tensor:  # SNIP scores connections on one (unmixed) training batch
        images, labels = next(iter(train_loader))
        return nn.functional.cross_entropy(model(images), labels, label_smoothing=cfg.label_smoothing)

    sparsifier = dst.create(model, optimizer, cfg.dst, total_steps, loss_closure=first_batch_loss, seed=cfg.seed)
    train_model = compile_for_training(wrap_ddp(model, world, device), cfg.compile)

    start_epoch, history, train_time, train_images = 0, [], 0.0, 0
    state = start_or_resume(run, identity, cfg.resume, yaml.safe_dump(to_dict(cfg), sort_keys=False), world,
                            model, optimizer, lr_schedule, sparsifier, device)
    if state:
        start_epoch, history = state["epoch"], state["history"]
        train_time, train_images = state["train_time"], state["train_images"]

    peak_memory = PeakMemory(device)  # per epoch, in `history`: a resumed run keeps its earlier epochs' peaks
    live = open_live(run.work_dir / "dvclive", history) if world.is_main else None
    for epoch in range(start_epoch, cfg.epochs):
        train_loader.set_epoch(epoch)
        peak_memory.reset()
        t0 = time.perf_counter()
        train_loss, seen = train_one_epoch(train_model, criterion, optimizer, lr_schedule, sparsifier,
                                           train_loader, cfg, device, epoch, show, augment)
        distributed.average_buffers(model)
        if device.type == "cuda":
            torch.cuda.synchronize()
        epoch_time = time.perf_counter() - t0
        train_time += epoch_time
        train_images += seen * world.world_size
        test = evaluate(model, test_loader, device, cfg)
        densities = sparsifier.densities()
        record = {"epoch": epoch + 1, "step": (epoch + 1) * steps_per_epoch, "train_loss": train_loss,
                  "test_accuracy": test["accuracy"], "test_loss": test["loss"],
                  "lr": optimizer.param_groups[0]["lr"], "density": densities["global"],
                  "train_time_s": epoch_time, "peak_memory_bytes": peak_memory.read()["bytes"]}
        history.append(record)
        if world.is_main:
            log_epoch(live, record, run.work_dir / "dvclive")
            state = checkpoint_state(model, optimizer, lr_schedule, sparsifier, epoch=epoch + 1, step=record["step"],
                                     history=history, train_time=train_time, train_images=train_images,
                                     config=to_dict(cfg), fingerprint=identity)
            save_checkpoint(run.last, state)
            if cfg.keep_every and (epoch + 1) % cfg.keep_every == 0:
                save_checkpoint(run.work_dir / "checkpoints" / f"epoch_{epoch + 1}.pt", state)
            print(f"epoch {epoch + 1}/{cfg.epochs}  loss {train_loss:.4f}  test acc {test['accuracy']:.2f}%  "
                  f"density {densities['global']:.4f}", flush=True)
        if cfg.halt_after_epochs and epoch + 1 >= cfg.halt_after_epochs and epoch + 1 < cfg.epochs:
            distributed.barrier()
            return model, {"halted_at_epoch": epoch + 1}

    final = history[-1]
    metrics = {"name": cfg.name, "epochs": cfg.epochs, "steps": total_steps,
               "test_accuracy": final["test_accuracy"], "test_loss": final["test_loss"],
               "density": sparsifier.densities(), "algorithm": cfg.dst.algorithm, "sparsity": cfg.dst.sparsity,
               "wall_time_s": train_time, "images_per_s": train_images / max(train_time, 1e-9),
               "peak_memory_bytes": max(r.get("peak_memory_bytes", 0) for r in history),
               "peak_memory_kind": peak_memory.read()["kind"],
               "history": history, "mask_updates": getattr(sparsifier, "update_log", [])}
    if world.is_main:
        write_json_atomic(run.work_dir / "metrics.json", metrics)
        if live:
            live.end()
        run.publish()
        print(f"{cfg.name}: clean test accuracy {final['test_accuracy']:.2f}% after {cfg.epochs} epochs "
              f"({metrics['images_per_s']:.0f} img/s, peak memory {metrics['peak_memory_bytes'] / 2**20:.0f} MiB, "
              f"density {metrics['density']['global']:.3f}) -> {run.run_dir}")
    distributed.barrier()
    return model, metrics
