"""The real dvc.yaml on a one-row Table 2: a second `dvc repro` does nothing, and changing one parameter
reruns exactly the stages that depend on it."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml


def _repro(repo: Path, *args: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run([str(Path(sys.executable).parent / "dvc"), "repro", *args], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _ran(log: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", log))


@pytest.fixture
def mini_repo(tmp_path, repo_root, cifar10_root):
    repo = tmp_path / "repo"
    repo.mkdir()
    for path in ["dvc.yaml", "src", "tasks"]:
        src = repo_root / path
        (shutil.copytree(src, repo / path, ignore=shutil.ignore_patterns("__pycache__")) if src.is_dir()
         else shutil.copy(src, repo / path))
    (repo / "data").mkdir()
    (repo / "data" / "cifar10").symlink_to(cifar10_root / "cifar10")
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    params.update(profile="test", seeds=[0], evaluate={"limit": 40, "seed": 0},
                  train_overrides={"classification": [
                      "epochs=1", "batch_size=32", "data.train_subset=128", "data.test_subset=40",
                      "model.name=resnet_tiny", "model.kwargs={width: 4}", "threads=1", "dst.update_interval=2"]})
    params["datasets"] = {"cifar10": "data/cifar10/train_images.npy"}
    params["table2"].update(algorithms=["dense", "set"], scenarios=["cifar10_vgg16"],
                            rows=[{"scenario": "cifar10_vgg16", "suite": "cifar10-c", "from": ""}])
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    for cmd in (["git", "init", "-q"], [str(Path(sys.executable).parent / "dvc"), "init", "-q"],
                ["git", "add", "-A"], git + ["commit", "-qm", "init"]):
        subprocess.run(cmd, cwd=repo, check=True)
    return repo


def test_repro_is_incremental(mini_repo):
    first = _repro(mini_repo, "report_table2")
    assert _ran(first) == {"prepare", "train@cifar10_vgg16-dense-0", "train@cifar10_vgg16-set-0",
                           "evaluate@row0-dense-0", "evaluate@row0-set-0", "report_table2"}
    table = (mini_repo / "reports/test/table2.md").read_text()
    assert "| cifar10_vgg16 | cifar10-c |" in table and "data missing" not in table.split("\n")[4]

    assert _ran(_repro(mini_repo, "report_table2")) == set()

    params = yaml.safe_load((mini_repo / "params.yaml").read_text())
    params["evaluate"]["limit"] = 30  # an evaluation parameter: training must not rerun
    (mini_repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert _ran(_repro(mini_repo, "report_table2")) == {"evaluate@row0-dense-0", "evaluate@row0-set-0",
                                                        "report_table2"}
