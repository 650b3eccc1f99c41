"""One rank of the two-process gloo test (run by test_ddp.py; not a test module itself).

Usage: python ddp_worker.py RANK WORLD PORT OUT_JSON. Each rank builds its model and sparsifier with its own seed
(so anything drawn locally differs), trains under DistributedDataParallel on its own batches, and writes its
masks' and weights' fingerprints for the test to compare.
"""

import json
import sys

import torch
import torch.distributed as dist
from torch import nn

from dst_helpers import batches, tiny_cnn
from dscr import dst


def fingerprint(tensor: torch.Tensor) -> list[float]:
    flat = tensor.detach().double().reshape(-1)
    return [float(flat.sum()), float((flat * torch.arange(flat.numel(), dtype=torch.float64)).sum())]


def main() -> None:
    rank, world, port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    result = {}
    for algorithm in ("set", "rigl", "snip"):
        model = tiny_cnn(seed=rank)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        cfg = dst.DSTConfig(algorithm=algorithm, sparsity=0.5, update_interval=3, prune_rate=0.5)
        x, y = batches(1, seed=50 + rank)[0]
        sp = dst.create(model, opt, cfg, 12, loss_closure=lambda: nn.functional.cross_entropy(model(x), y),
                        seed=rank)
        ddp = nn.parallel.DistributedDataParallel(model)
        for x, y in batches(12, seed=10 + rank):
            nn.functional.cross_entropy(ddp(x), y).backward()
            opt.step()
            sp.step()
            opt.zero_grad(set_to_none=True)
        result[algorithm] = {"masks": {n: fingerprint(m) for n, m in sp.masks.items()},
                             "weights": {n: fingerprint(w) for n, w in sp.weights.items()},
                             "updates": len(sp.update_log)}
    with open(out, "w") as handle:
        json.dump(result, handle)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
