"""Launched by torchrun from test_train.py: trains under DDP (gloo on CPU) through `train.fit`, the function
`dscr train` runs, and saves the weights and DST masks this rank's replica ended with.

Usage: ddp_worker.py REPO DATA_ROOT OUT [ALGORITHM]
"""

import sys
from pathlib import Path

import torch
import torch.distributed as dist

from dscr import dst
from dscr.config import load_config
from tasks.classification import train
from tasks.classification.config import TrainConfig

repo, data_root, out = (Path(a) for a in sys.argv[1:4])
algorithm = sys.argv[4] if len(sys.argv) > 4 else "dense"
cfg = load_config(TrainConfig, repo / "tasks/classification/configs/smoke.yaml", [
    "epochs=1", "batch_size=32", "data.train_subset=256", "data.test_subset=64", "model.kwargs={width: 8}",
    "device=cpu", "threads=1", f"data.root={data_root}", f"out_dir={out}", "name=ddp", f"dst.algorithm={algorithm}",
    "dst.sparsity=0.5", "dst.update_interval=2"])
sparsifiers = []
create = dst.create
dst.create = lambda *args, **kwargs: sparsifiers.append(create(*args, **kwargs)) or sparsifiers[-1]
model, _ = train.fit(cfg)
# Each rank saves what its own replica ended with.
torch.save({"weights": model.state_dict(), "masks": sparsifiers[0].state_dict()["masks"]},
           out / f"rank{dist.get_rank()}.pt")
dist.destroy_process_group()
