"""A shrunk copy of this checkout's pipeline in a temporary git repository with a local-directory DVC remote, and
the commands the pipeline tests run in its clones (this checkout's code runs from the clone's `src/`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

VENV = Path(sys.executable).parent.parent
FILES = ["dvc.yaml", "params.yaml", "Makefile", "analyses.mk", "images/images.mk", ".dvcignore", ".gitignore",
         "src", "tasks"]
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
def env_for(repo: Path) -> dict:
    """This checkout's environment, running the repository's own code; Python writes its byte-code caches into
    the source folders, as on a user's machine (they must not count as changed code)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": f"{repo / 'src'}:{repo}", "PATH": f"{VENV / 'bin'}:{os.environ['PATH']}",
            "DSCR_RESUME_DIR": ""}


def sh(repo: Path, *cmd: str, stdout_only: bool = False) -> str:
    result = subprocess.run(list(cmd), cwd=repo, env=env_for(repo), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout if stdout_only else result.stdout + result.stderr


def dvc_json(repo: Path, *args: str):
    return json.loads(sh(repo, "dvc", *args, "--json", stdout_only=True))


def make(repo: Path, target: str, *args: str) -> str:
    """The Makefile's target with this checkout's virtual environment, which is not rebuilt (-o)."""
    return sh(repo, "make", "-o", str(VENV / ".installed"), target, f"VENV={VENV}", *args)


def ran(log: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", log))


def restored(log: str) -> set[str]:
    return set(re.findall(r"Stage '([^']+)' is cached - skipping run", log))


def clone(origin: Path, dest: Path, cifar10_root: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(dest)], check=True)
    (dest / "data").mkdir()
    (dest / "data" / "cifar10").symlink_to(cifar10_root / "cifar10")
    return dest


def make_origin(repo_root: Path, root: Path, *, scenarios: dict[str, str], algorithms: list[str], seeds: list[int],
                overrides: list[str]) -> Path:
    """`root/origin`: this checkout's pipeline files with the smoke profile shrunk to `scenarios` ({name: dataset
    path, which may be absent}), `algorithms` and `seeds`, Table 2 rows of their suites, one Figure 2 cell, no
    analyses; committed, with the default DVC remote `root/remote`."""
    repo = root / "origin"
    for name in FILES:
        src, dst = repo_root / name, repo / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__")) if src.is_dir()
         else shutil.copy(src, dst))
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["profiles"] = ["smoke"]
    del params["full"]
    params["smoke"]["train_overrides"]["classification"] = overrides
    params["scenarios"] = {k: params["scenarios"][k] for k in scenarios}
    params["datasets"] = {params["scenarios"][k]["dataset"]: path for k, path in scenarios.items()}
    rows = [row for row in params["table2"]["rows"] if row["scenario"] in scenarios]
    params["table2"].update(algorithms=algorithms, seeds=seeds, scenarios=list(scenarios), video_scenarios=[],
                            video_rows=[], rows=rows)
    params["figure2"].update(algorithms=["set"], sparsities=[0.5], seeds=[0], rows=rows[:1])
    params["analyses"]["runs"] = {}
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    sh(repo, "git", "init", "-q")
    sh(repo, "dvc", "init", "-q")
    sh(repo, "dvc", "remote", "add", "-d", "shared", str(root / "remote"))
    sh(repo, "git", "add", "-A")
    sh(repo, *GIT, "commit", "-qm", "pipeline")
    return repo
