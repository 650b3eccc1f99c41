"""Robustness evaluation of classification runs: `dscr evaluate RUN_DIR [RUN_DIR ...] --suite S`.

Writes `RUN_DIR/robustness/<suite>.json` with clean accuracy, accuracy per corruption x severity, the
robustness accuracy (mean over all of them), per-severity and per-corruption means, and mCE on ImageNet-C.
The test set is the run's own (its `data.test_subset`, all of it by default); a `limit` or a corruption subset
is written under a name that says so (see `dscr.results`). Several runs evaluated together share one
corruption pass.
"""

from __future__ import annotations

from pathlib import Path
from statistics import mean

import numpy as np
import torch
import yaml

from dscr import corrupt
from dscr.config import DscrError, from_dict
from dscr.engine.checkpoint import load_checkpoint
from dscr.engine.distributed import resolve_device
from dscr.engine.io import write_json_atomic
from dscr.engine.optim import autocast
from dscr.eval import (clean_accuracy, corruption_sweep, folder_corruptions, folder_origin, folder_sweep, mce,
                       npy_layout, npy_sweep, summarize)
from dscr.results import mark_scope, partial_scope, result_path

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
    if not run_dir.is_dir():
        raise DscrError(f"run folder not found: {run_dir}")
    if not ckpt.is_file():
        raise DscrError(f"{run_dir} has no checkpoints/last.pt; train it first (`dscr train`)")
    raw = yaml.safe_load((run_dir / "config.yaml").read_text()) if (run_dir / "config.yaml").is_file() else None
    if not isinstance(raw, dict):
        raise DscrError(f"{run_dir}/config.yaml is missing or holds no config (a run marked data missing?)")
    cfg = from_dict(TrainConfig, raw)
    model = build_model(cfg).to(device)
    if cfg.channels_last:  # NHWC weights make the convolutions pick NHWC kernels (1.3x faster on CPU, measured)
        model = model.to(memory_format=torch.channels_last)
    state = load_checkpoint(ckpt, map_location=device, required=("model",))
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise DscrError(f"{ckpt} does not fit the model of {run_dir}/config.yaml "
                        f"({str(exc).splitlines()[0][:120]})") from None
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


def _corruption_sweep(predicts, cfg: TrainConfig, suite: corrupt.Suite, corruptions: list[str] | None, root: str,
                      dev: torch.device, *, limit: int, seed: int, batch_size: int, from_dir: str | None,
                      prefer_published: bool):
    """(clean accuracy, sweep of the suite's corruptions, sweep of other corruption folders found in `from_dir`,
    record fields naming where the corrupted images came from), each accuracy keyed by run."""
    info = get_info(suite.dataset)
    selected = corruptions or suite.corruptions
    extra: dict = {}
    if info.kind == "array":
        from_dir = from_dir or (published_folder(suite, root) if prefer_published else None)
        batches = array_test_batches(suite.dataset, root, limit, batch_size, dev)
        labels = torch.cat([y for _, y in batches]).cpu().numpy()
        if from_dir:  # a bad folder fails before any scoring
            npy_layout(from_dir, selected, len(suite.severities), labels=labels)
        clean = clean_accuracy(predicts, batches)
        if from_dir:
            sweep = npy_sweep(predicts, from_dir, selected, dev, batch_size, severities=len(suite.severities),
                              limit=limit, labels=labels)
        else:
            sweep = corruption_sweep(predicts, batches, suite, seed=seed, corruptions=selected)
        fields = {"test_images": sum(len(y) for _, y in batches)}
    else:
        if limit:
            raise DscrError(f"{suite.name}: a limit applies to array datasets (CIFAR, Fashion-MNIST); "
                            f"{suite.dataset} is evaluated on its whole validation folder")
        if not from_dir:
            raise DscrError(f"{suite.name}: on-the-fly evaluation reads array datasets; write the suite with "
                            f"`dscr corrupt --suite {suite.name} --out DIR` and pass --from DIR")
        severity_dirs = [str(s) for s in suite.severities]
        others = [] if corruptions else [c for c in folder_corruptions(from_dir, severity_dirs) if c not in suite.table]
        test = folder_dataset(info, root, "val", cfg.data.image_size, "none", interpolation=cfg.data.interpolation)
        clean = clean_accuracy(predicts, folder_loader(test, batch_size, dev, train=False,
                                                       num_workers=cfg.data.num_workers, seed=0, rank=0,
                                                       world_size=1))
        loader = lambda p: _folder_batches(cfg, p, dev, batch_size)  # noqa: E731
        sweep = folder_sweep(predicts, from_dir, loader, selected, suite.severities,
                             severity_dir=lambda c, s: suite.corruption(c).severity_dir(s))
        if others:
            extra = folder_sweep(predicts, from_dir, loader, others, suite.severities)
        fields = {}
    kind = folder_origin(from_dir) if from_dir else "on the fly"
    fields.update(source_kind=kind, source=f"{kind}: {from_dir}" if from_dir else f"on the fly, seed {seed}")
    return clean, sweep, extra, fields


def published_folder(suite: corrupt.Suite, root: str | Path) -> Path | None:
    """`<root>/<published name>` (e.g. data/CIFAR-10-C) when it holds files, else None."""
    folder = Path(root) / suite.published_dir if suite.published_dir else None
    return folder if folder is not None and (folder / "labels.npy").is_file() else None


def evaluate_runs(run_dirs: list[str | Path], suite_name: str, *, limit: int = 0, seed: int = 0,
                  from_dir: str | None = None, batch_size: int = 1000, device: str = "auto",
                  corruptions: list[str] | None = None, data_root: str | None = None,
                  prefer_published: bool = False) -> dict[str, dict]:
    """Evaluate runs on a suite, write `<run>/robustness/<suite>[.<partial scope>].json` for each; returns the
    results.

    `limit` 0 evaluates the runs' own test set (`data.test_subset`: all of it unless they were trained on a
    subset), which the runs must share; a limit or a corruption subset is a partial evaluation
    (`dscr.results`). Corrupted images come from `from_dir`, else (with `prefer_published`) from the suite's
    published files under the data root when they are there (data/CIFAR-10-C), else from generation on the fly;
    the record's `source` and `source_kind` ("published", "dscr corrupt", "on the fly") say which.
    """
    if limit < 0:
        raise DscrError(f"--limit {limit}: must be >= 0 (0: every test image)")
    if from_dir and not Path(from_dir).is_dir():
        raise DscrError(f"--from folder not found: {from_dir} (write it with `dscr corrupt --out`)")
    dev = resolve_device(device)
    loaded = {str(r): load_run(r, dev) for r in run_dirs}
    cfg = next(iter(loaded.values()))[1]
    subsets = {c.data.test_subset for _, c in loaded.values()}
    if len(subsets) > 1:
        raise DscrError(f"the runs were tested on different test subsets ({sorted(subsets)}); evaluate them apart")
    root = data_root or cfg.data.root
    predicts = {name: predictor(fold_batchnorm(model, run_cfg.channels_last), dev)
                for name, (model, run_cfg) in loaded.items()}
    record: dict = {"suite": suite_name, "seed": seed}
    scope: dict = {"limit": limit} if limit else {}
    if suite_name in OOD_SUITES:
        accs = _ood_accuracy(predicts, cfg, suite_name, root, dev, batch_size)
        per_run = {name: {**record, "clean_accuracy": acc, "robustness_accuracy": acc} for name, acc in accs.items()}
    else:
        suite = corrupt.get_suite(suite_name)
        datasets = {c.data.name for _, c in loaded.values()}
        if datasets != {suite.dataset}:
            raise DscrError(f"suite {suite_name} corrupts {suite.dataset}, but the runs were trained on "
                            f"{', '.join(sorted(datasets))}")
        scope = partial_scope(limit=limit, corruptions=corruptions or suite.corruptions,
                              all_corruptions=suite.corruptions)
        own_subset = cfg.data.test_subset if get_info(suite.dataset).kind == "array" else 0  # folders: all of val
        clean, sweep, extra, fields = _corruption_sweep(
            predicts, cfg, suite, corruptions, root, dev, limit=limit or own_subset, seed=seed,
            batch_size=batch_size, from_dir=from_dir, prefer_published=prefer_published)
        record.update(fields)
        per_run = {}
        for name in predicts:
            per_run[name] = {**record, "clean_accuracy": clean[name], "corruptions": sweep[name],
                             **summarize(sweep[name])}
            if extra:  # present in the folder, outside the suite's list: recorded, not in the suite's mean
                per_run[name]["extra_corruptions"] = {c: {"severities": v, "mean": mean(v.values())}
                                                      for c, v in extra[name].items()}
            if suite_name == "imagenet-c":
                per_run[name]["mce"] = mce(sweep[name])
    for name, result in per_run.items():
        _, run_cfg = loaded[name]
        result.update(run=name, algorithm=run_cfg.dst.algorithm, sparsity=run_cfg.dst.sparsity, seed_run=run_cfg.seed,
                      test_subset=run_cfg.data.test_subset)
        write_json_atomic(result_path(name, suite_name, scope), mark_scope(result, scope))
    return per_run
