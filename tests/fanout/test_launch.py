"""`dscr launch` on a real local Ray cluster of two worker nodes: the smoke Table 2 (one scenario, Dense and SET,
two seeds) fans out; a worker node dies in the middle of a training run; the run is retried on the other node and
resumes from its checkpoint; the table equals a sequential `make reproduce-table2` of the same settings; and a
fresh clone restores every stage from the DVC remote."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch

from pipeline_repo import VENV, clone, env_for, make, make_origin, ran, restored, sh

ray = pytest.importorskip("ray")

TRAIN = {f"train@smoke-cifar10_vgg16-{a}-{s}" for a in ("dense", "set") for s in (0, 1)}
EVALUATE = {f"evaluate@smoke-row0-{a}-{s}" for a in ("dense", "set") for s in (0, 1)}
# Ray on this machine: every node and driver on the loopback address (Ray would otherwise resolve 127.0.0.1 to
# the machine's outward address).
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


@pytest.fixture(scope="module")
def cluster():
    """A head (no CPUs: it runs no task) and two worker nodes of one CPU, all on 127.0.0.1."""
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    loopback = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False  # what LOOPBACK does in the processes this test starts
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "node_ip_address": "127.0.0.1"})
    for _ in range(2):
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, namespace="dscr")
    yield cluster
    ray.shutdown()
    cluster.shutdown()
    ray_constants.ENABLE_RAY_CLUSTER = loopback


@pytest.fixture(scope="module")
def origin(tmp_path_factory, repo_root):
    root = tmp_path_factory.mktemp("launch")
    return make_origin(repo_root, root, scenarios={"cifar10_vgg16": "data/cifar10/train_images.npy"},
                       algorithms=["dense", "set"], seeds=[0, 1],
                       overrides=["epochs=3", "batch_size=32", "data.train_subset=1024", "data.test_subset=40",
                                  "model.name=resnet_tiny", "model.kwargs={width: 4}", "threads=1",
                                  "dst.update_interval=8"])


def _kill_node_during_a_training(cluster, driver_repo: Path, scratch: Path, launch: subprocess.Popen) -> str:
    """Wait until a training run has checkpointed its first epoch, then take its node away as a lost machine
    would go, all at once: the task's worker first (had it seen its stage die, it would report a failure), the
    stage processes it started, then the node's raylet. Returns the stage."""
    deadline = time.time() + 600
    while time.time() < deadline and launch.poll() is None:
        try:
            state = ray.get(ray.get_actor("dscr-launch", namespace="dscr").snapshot.remote())
        except ValueError:  # the driver has not made its tracker yet
            time.sleep(0.5)
            continue
        for stage, entry in state.items():
            run = "-".join(stage.split("-")[-2:])  # dense-0
            algorithm, seed = run.split("-")
            last = driver_repo / ".dscr/resume/runs/smoke/table2/cifar10_vgg16" / f"{algorithm}-seed{seed}"
            last = last / "checkpoints/last.pt"
            if stage in TRAIN and entry.get("status") == "running" and last.is_file():
                if torch.load(last, weights_only=False)["epoch"] >= 1:
                    node = next(n for n in cluster.worker_nodes if n.node_id == entry["node"])
                    for pid in [entry["pid"], *_processes_under(scratch / entry["node"][:12])]:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    cluster.remove_node(node, allow_graceful=False)
                    return stage
        time.sleep(0.2)
    raise AssertionError("no training run reached its first checkpoint while the launch ran")


def _processes_under(folder: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "cwd")).is_relative_to(folder):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def test_a_launch_survives_a_lost_node_and_equals_a_sequential_run(cluster, origin, cifar10_root, tmp_path):
    root = origin.parent
    sequential = clone(origin, root / "sequential", cifar10_root)
    # the reference runs alone: its own empty remote, so nothing the launch pushes can reach it
    (tmp_path / "empty").mkdir()
    sh(sequential, "dvc", "remote", "add", "--local", "--default", "alone", str(tmp_path / "empty"))
    start = time.perf_counter()
    log = make(sequential, "reproduce-table2", "PROFILE=smoke")
    sequential_s = time.perf_counter() - start
    assert ran(log) == {"prepare", "report_table2@smoke"} | TRAIN | EVALUATE

    driver = clone(origin, root / "driver", cifar10_root)
    scratch = tmp_path / "scratch"
    start = time.perf_counter()
    launch = subprocess.Popen(
        [str(VENV / "bin" / "dscr"), "launch", "report_table2@smoke", "--address", cluster.address, "--cpu",
         "--scratch", str(scratch)], cwd=driver, env={**env_for(driver), **LOOPBACK}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    killed = _kill_node_during_a_training(cluster, driver, scratch, launch)
    out = launch.communicate(timeout=900)[0]
    launch_s = time.perf_counter() - start
    print(f"sequential {sequential_s:.0f} s, launch {launch_s:.0f} s (one node lost: {killed}); {out.strip().splitlines()[-1]}")
    assert launch.returncode == 0, out[-4000:]
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("launch: 8/8 stages on ") and " 0 failed;" in summary, summary
    retried = int(summary.split(" retried")[0].rsplit(" ", 1)[-1])
    assert retried >= 1, summary  # the killed run ran again elsewhere
    resumed = (driver / "runs/smoke/logs" / f"{killed}.log").read_text()
    assert re.search(r"resumed \S*runs/smoke/table2/cifar10_vgg16/\S+ at epoch [12]\b", resumed), resumed[-2000:]
    table = (driver / "reports/smoke/table2.md").read_text()
    assert table == (sequential / "reports/smoke/table2.md").read_text()

    fresh = clone(origin, root / "fresh", cifar10_root)
    sh(fresh, "dvc", "fetch", "--run-cache")
    log = sh(fresh, "dvc", "repro", "--pull", "report_table2@smoke")
    assert ran(log) == {"prepare"} and restored(log) == TRAIN | EVALUATE | {"report_table2@smoke"}
    assert (fresh / "reports/smoke/table2.md").read_text() == table
