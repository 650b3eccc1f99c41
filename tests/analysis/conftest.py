"""Tiny trained runs shared by the analysis tests: a width-4 ResNet trained 2 epochs on 256 CIFAR-10 images,
dense and SET at sparsity 0.5, keeping a checkpoint every epoch."""

from __future__ import annotations

import pytest

from dscr.config import load_config
from tasks.classification import train
from tasks.classification.config import TrainConfig

TINY = ["epochs=2", "batch_size=32", "data.train_subset=256", "data.test_subset=64", "model.kwargs={width: 4}",
        "data.eval_batch_size=64", "threads=1", "keep_every=1", "dst.update_interval=2", "device=cpu"]


@pytest.fixture(scope="session")
def tiny_runs(repo_root, cifar10_root, tmp_path_factory):
    """{algorithm: run dir} for a dense and a SET run."""
    out = tmp_path_factory.mktemp("analysis_runs")
    runs = {}
    for algorithm in ("dense", "set"):
        cfg = load_config(TrainConfig, repo_root / "tasks/classification/configs/smoke.yaml",
                          TINY + [f"data.root={cifar10_root}", f"out_dir={out}", f"name={algorithm}",
                                  f"dst.algorithm={algorithm}", "dst.sparsity=0.5"])
        train.main(cfg)
        runs[algorithm] = out / algorithm
    return runs
