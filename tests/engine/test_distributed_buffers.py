"""Under DDP, BatchNorm running statistics end an epoch as the mean of the ranks' values (not only equal)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist

HERE = Path(__file__).resolve().parent


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed not built")
def test_average_buffers_gives_every_rank_the_mean(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, str(HERE / "bn_worker.py"), str(rank), "2", str(tmp_path / "store"),
                               str(tmp_path / f"rank{rank}.json")], env=env, stderr=subprocess.PIPE)
             for rank in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    for rank in range(2):
        result = json.loads((tmp_path / f"rank{rank}.json").read_text())
        # by hand: rank 0 holds mean (1, 2, 3) and var (1, 4, 2); rank 1 (5, 10, -1) and (3, 0.5, 2)
        assert result["mean"] == [3.0, 6.0, 1.0]
        assert result["var"] == [2.0, 2.25, 2.0]
        assert result["tracked"] == [7, 9][rank]  # an integer counter is not a statistic: left as it is
