"""Robustness evaluation of classification runs: `dscr evaluate RUN_DIR [RUN_DIR ...] --suite S`.

Writes `RUN_DIR/robustness/<suite>.json` with clean accuracy, accuracy per corruption x severity, the
robustness accuracy (mean over all of them), per-severity and per-corruption means, and mCE on ImageNet-C.
Several runs evaluated together share one corruption pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import yaml

from dscr import corrupt
from dscr.config import DscrError, from_dict
from dscr.engine.checkpoint import load_checkpoint
from dscr.engine.io import write_json_atomic
from dscr.engine.optim import autocast
from dscr.eval import clean_accuracy, corruption_sweep, folder_sweep, mce, npy_sweep, summarize

from .config import TrainConfig
from .data import Classifier, first, folder_dataset, folder_loader
from .datasets import get_info, load_arrays
from .train import build_model

# Out-of-distribution suites (Tables 10-11): clean accuracy on another test set, no corruptions.
OOD_SUITES = {"imagenet-r": "imagenet-r", "imagenet-v2-matched-frequency": "imagenetv2-matched-frequency",
              "imagenet-v2-threshold0.7": "imagenetv2-threshold0.7", "imagenet-v2-top-images": "imagenetv2-top-images"}


def load_run(run_dir: str | Path, device: torch.device) -> tuple[torch.nn.Module, TrainConfig]:
    """The trained model of a run (from checkpoints/last.pt) and its resolved config."""
    run_dir = Path(run_dir)
    ckpt = run_dir / "checkpoints" / "last.pt"
    if not ckpt.is_file():
        raise DscrError(f"{run_dir} has no checkpoints/last.pt; train it first (`dscr train`)")
    cfg = from_dict(TrainConfig, yaml.safe_load((run_dir / "config.yaml").read_text()))
    model = build_model(cfg).to(device)
    if cfg.channels_last:  # NHWC weights make the convolutions pick NHWC kernels (1.3x faster on CPU, measured)
        model = model.to(memory_format=torch.channels_last)
    model.load_state_dict(load_checkpoint(ckpt, map_location=device)["model"])
    return model.eval(), cfg


# On a CPU, images are scored in chunks of this many: each activation then stays under glibc's 32 MB mmap
# threshold, so the allocator reuses heap memory instead of faulting in fresh pages for every layer (the smoke
# ResNet scores 1.4x faster than in batches of 1000, measured). Corruption batches keep their size (and draws).
CPU_SCORE_CHUNK = 256


def predictor(model: torch.nn.Module, device: torch.device):
    def predict(images: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode(), autocast("auto", device):
            if device.type == "cpu" and len(images) > CPU_SCORE_CHUNK:
                return torch.cat([model(chunk).float() for chunk in images.split(CPU_SCORE_CHUNK)])
            return model(images).float()
    return predict


def fold_batchnorm(model: Classifier, channels_last: bool) -> Classifier:
    """`model` with each BatchNorm that directly follows a convolution folded into it (torch.fx), for scoring
    only: a CPU sweep's inference is a sixth cheaper (measured on the smoke ResNet) and logits change by float
    rounding (~1e-7). Networks fx cannot trace are returned as they are. Analyses that read weights (filters,
    Grad-CAM) use `load_run`'s unfolded model."""
    from torch.fx.experimental.optimization import fuse

    try:
        folded = fuse(model.net)  # a copy: a failure half-way must not leave a half-folded model
    except Exception:  # noqa: BLE001  (fx raises several types on data-dependent control flow; keep the model)
        return model
    model.net = folded.to(memory_format=torch.channels_last) if channels_last else folded
    return model


def array_test_batches(dataset: str, root: str, limit: int, batch_size: int, device: torch.device):
    """The first `limit` test images of an array dataset as uint8 batches on the device."""
    images, labels = load_arrays(dataset, root, "test")
    keep = first(len(labels), limit)
    x = torch.from_numpy(np.ascontiguousarray(images[keep])).permute(0, 3, 1, 2).contiguous().to(device)
    y = torch.from_numpy(labels[keep]).to(device)
    return [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(y), batch_size)]


def _folder_batches(cfg: TrainConfig, path: Path, device: torch.device, batch_size: int):
    from torchvision import transforms as T
    from torchvision.datasets import ImageFolder

    dataset = ImageFolder(str(path), T.PILToTensor())  # corrupted sets are stored at the model's resolution
    return folder_loader(dataset, batch_size, device, train=False, num_workers=cfg.data.num_workers, seed=0,
                         rank=0, world_size=1)


def _ood_accuracy(predicts, cfg: TrainConfig, suite: str, root: str, device, batch_size) -> dict[str, float]:
    """ImageNet-R (200 classes: logits restricted to them) or ImageNet-v2 (folders named by class index)."""
    from torchvision import transforms as T
    from torchvision.datasets import ImageFolder

    folder = Path(root) / OOD_SUITES[suite]
    if not folder.is_dir():
        raise DscrError(f"data missing: {folder} not found")
    size = cfg.data.image_size or 224
    dataset = ImageFolder(str(folder), T.Compose([T.Resize(size * 256 // 224), T.CenterCrop(size), T.PILToTensor()]))
    if suite == "imagenet-r":
        wnids = sorted(p.name for p in (Path(root) / "imagenet" / "train").iterdir())
        keep = torch.tensor([wnids.index(w) for w in dataset.classes], device=device)
        predicts = {k: (lambda p: lambda x: p(x)[:, keep])(p) for k, p in predicts.items()}
    else:  # imagenet-v2 folders are class indices as strings: ImageFolder's sorted order is lexicographic
        index = [int(c) for c in dataset.classes]
        dataset.targets = [index[t] for t in dataset.targets]
        dataset.samples = [(p, index[t]) for p, t in dataset.samples]
    loader = folder_loader(dataset, batch_size, device, train=False, num_workers=cfg.data.num_workers, seed=0,
                           rank=0, world_size=1)
    return clean_accuracy(predicts, loader)


def evaluate_runs(run_dirs: list[str | Path], suite_name: str, *, limit: int = 0, seed: int = 0,
                  from_dir: str | None = None, batch_size: int = 1000, device: str = "auto",
                  corruptions: list[str] | None = None, data_root: str | None = None) -> dict[str, dict]:
    """Evaluate runs on a suite, write `<run>/robustness/<suite>.json` for each; returns the results."""
    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else
                       ("cpu" if device == "auto" else device))
    loaded = {str(r): load_run(r, dev) for r in run_dirs}
    cfg = next(iter(loaded.values()))[1]
    root = data_root or cfg.data.root
    predicts = {name: predictor(fold_batchnorm(model, run_cfg.channels_last), dev)
                for name, (model, run_cfg) in loaded.items()}
    record: dict = {"suite": suite_name, "seed": seed}
    if suite_name in OOD_SUITES:
        accs = _ood_accuracy(predicts, cfg, suite_name, root, dev, batch_size)
        per_run = {name: {**record, "clean_accuracy": acc, "robustness_accuracy": acc} for name, acc in accs.items()}
    else:
        suite = corrupt.get_suite(suite_name)
        datasets = {c.data.name for _, c in loaded.values()}
        if datasets != {suite.dataset}:
            raise DscrError(f"suite {suite_name} corrupts {suite.dataset}, but the runs were trained on "
                            f"{', '.join(sorted(datasets))}")
        info = get_info(suite.dataset)
        selected = corruptions or suite.corruptions
        if info.kind == "array":
            batches = array_test_batches(suite.dataset, root, limit, batch_size, dev)
            clean = clean_accuracy(predicts, batches)
            if from_dir:
                sweep = npy_sweep(predicts, from_dir, selected, dev, batch_size)
            else:
                sweep = corruption_sweep(predicts, batches, suite, seed=seed, corruptions=selected)
            record["test_images"] = sum(len(y) for _, y in batches)
        else:
            test = folder_dataset(info, root, "val", cfg.data.image_size, "none")
            clean = clean_accuracy(predicts, folder_loader(test, batch_size, dev, train=False,
                                                           num_workers=cfg.data.num_workers, seed=0, rank=0,
                                                           world_size=1))
            if not from_dir:
                raise DscrError(f"{suite_name}: on-the-fly evaluation reads array datasets; write the suite with "
                                f"`dscr corrupt --suite {suite_name} --out DIR` and pass --from DIR")
            sweep = folder_sweep(predicts, from_dir, lambda p: _folder_batches(cfg, p, dev, batch_size),
                                 selected, suite.severities)
        record["source"] = from_dir or "on the fly"
        per_run = {}
        for name in predicts:
            per_run[name] = {**record, "clean_accuracy": clean[name], "corruptions": sweep[name],
                             **summarize(sweep[name])}
            if suite_name == "imagenet-c":
                per_run[name]["mce"] = mce(sweep[name])
    for name, result in per_run.items():
        _, run_cfg = loaded[name]
        result.update(run=name, algorithm=run_cfg.dst.algorithm, sparsity=run_cfg.dst.sparsity, seed_run=run_cfg.seed)
        write_json_atomic(Path(name) / "robustness" / f"{suite_name}.json", result)
    return per_run
