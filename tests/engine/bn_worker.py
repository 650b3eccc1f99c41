"""One rank of the BatchNorm-buffer test (run by test_distributed_buffers.py; not a test module itself).

Usage: python bn_worker.py RANK WORLD STORE_FILE OUT_JSON. Each rank holds its own running statistics, calls
`average_buffers`, and writes what it holds afterwards.
"""

import json
import sys

import torch
import torch.distributed as dist
from torch import nn

from dscr.engine.distributed import average_buffers


def main() -> None:
    rank, world, store, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([[1.0, 2.0, 3.0], [5.0, 10.0, -1.0]][rank]))
        bn.running_var.copy_(torch.tensor([[1.0, 4.0, 2.0], [3.0, 0.5, 2.0]][rank]))
        bn.num_batches_tracked.fill_([7, 9][rank])
    average_buffers(bn)
    with open(out, "w") as f:
        json.dump({"mean": bn.running_mean.tolist(), "var": bn.running_var.tolist(),
                   "tracked": int(bn.num_batches_tracked)}, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
