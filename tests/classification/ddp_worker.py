"""Launched by torchrun from test_train.py: trains a few steps under DDP (gloo on CPU) and saves this rank's weights."""

import sys
from pathlib import Path

import torch
import torch.distributed as dist

from dscr.config import load_config
from tasks.classification import train
from tasks.classification.config import TrainConfig

repo, data_root, out = (Path(a) for a in sys.argv[1:4])
cfg = load_config(TrainConfig, repo / "tasks/classification/configs/smoke.yaml", [
    "epochs=1", "batch_size=32", "data.train_subset=256", "data.test_subset=64", "model.kwargs={width: 8}",
    "device=cpu", "threads=1", f"data.root={data_root}", f"out_dir={out}", "name=ddp"])
model, _ = train.fit(cfg)
# Each rank saves the weights its own replica ended with.
torch.save(model.state_dict(), out / f"rank{dist.get_rank()}.pt")
dist.destroy_process_group()
