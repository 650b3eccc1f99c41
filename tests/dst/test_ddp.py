"""Under DDP every rank holds rank 0's masks, even when each rank draws its own random numbers."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch.distributed as dist
import pytest

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed not built")
def test_two_gloo_ranks_hold_identical_masks(tmp_path):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(HERE.parents[1] / "src"),
                                                        os.environ.get("PYTHONPATH", "")]))
    procs = [subprocess.Popen([sys.executable, str(HERE / "ddp_worker.py"), str(rank), "2", str(port),
                               str(tmp_path / f"rank{rank}.json")], env=env, stderr=subprocess.PIPE)
             for rank in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    rank0, rank1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2))
    for algorithm in rank0:
        assert rank0[algorithm]["updates"] > 1 or algorithm == "snip"
        assert rank0[algorithm]["masks"] == rank1[algorithm]["masks"], algorithm
        assert rank0[algorithm]["weights"] == rank1[algorithm]["weights"], algorithm
