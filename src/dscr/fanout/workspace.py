"""One pipeline stage in a workspace of its own, as a Ray task runs it on any node.

The workspace is a clone of the driver's repository at the driver's commit (never two `dvc repro` in one
workspace). `dvc fetch --run-cache` brings the remote's record of every finished stage, so `dvc repro --pull
STAGE` restores the stage's inputs (the upstream stages, already run elsewhere) instead of running them, then
runs the stage; `dvc push --run-cache` sends its outputs and run-cache entry back. Nothing else travels: the
next task, or the driver, finds the stage in the remote's run cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

LOG_LIMIT = 200_000  # characters of a stage's log the driver keeps


class StageInterrupted(Exception):
    """A stage's process was killed by a signal (its machine going down, the OOM killer): retried like a lost node."""


class StageFailed(Exception):
    """A stage's command failed for a real error (not a lost node): reported with its log, never retried."""

    def __init__(self, stage: str, log: str):
        super().__init__(f"{stage} failed")
        self.stage, self.log = stage, log

    def __reduce__(self):  # Ray pickles the exception back to the driver
        return StageFailed, (self.stage, self.log)


@dataclass(frozen=True)
class Checkout:
    """Where a task finds the code, the data and the remote, the same on every node."""

    repo: str          # a path or URL git can clone, holding `commit`
    commit: str
    data: str          # the data folder, linked into the workspace as data/ (a shared or identical path per node)
    resume_dir: str    # DSCR_RESUME_DIR: unfinished runs' checkpoints, readable by every node
    scratch: str       # where workspaces are made on the node
    remote: str = ""   # a DVC remote URL for this launch ("": the repository's default remote)


def dvc_command() -> str:
    """This environment's `dvc` (the one installed beside the running Python)."""
    return str(Path(sys.executable).parent / "dvc")


def tool_env(**extra: str) -> dict:
    """os.environ with this environment's executables first on PATH (dvc calls `dscr` in stage commands)."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", **extra}


def _env(workspace: Path, checkout: Checkout) -> dict:
    return tool_env(DSCR_RESUME_DIR=checkout.resume_dir,
                    PYTHONPATH=f"{workspace / 'src'}:{workspace}")  # the workspace's code, not an installed copy


def _run(cmd: list[str], cwd: Path, env: dict, log: list[str]) -> None:
    log.append(f"$ {' '.join(cmd)}\n")
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    log.append(result.stdout + result.stderr)
    if result.returncode < 0:
        raise StageInterrupted(f"{' '.join(cmd)} was killed by signal {-result.returncode}")
    if result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, cmd)


def run_stage(stage: str, checkout: Checkout) -> dict:
    """Reproduce `stage` in a fresh workspace and push its results; returns {stage, ran, restored, log}.

    Raises:
        StageFailed: a command failed; the exception carries the log.
        StageInterrupted: a command was killed by a signal (retried like a lost node).
    """
    Path(checkout.scratch).mkdir(parents=True, exist_ok=True)
    workspace = Path(tempfile.mkdtemp(prefix=re.sub(r"[^\w.-]", "_", stage) + "-", dir=checkout.scratch))
    log: list[str] = []
    dvc = dvc_command()
    try:
        env = _env(workspace, checkout)
        shared = ["--shared"] if Path(checkout.repo).is_dir() else []
        _run(["git", "clone", "--quiet", "--no-checkout", *shared, checkout.repo, str(workspace)], workspace.parent,
             env, log)
        _run(["git", "checkout", "--quiet", "--detach", checkout.commit], workspace, env, log)
        (workspace / "data").symlink_to(checkout.data, target_is_directory=True)
        if checkout.remote:
            _run([dvc, "remote", "add", "--local", "--default", "launch", checkout.remote], workspace, env, log)
        _run([dvc, "fetch", "--run-cache", "--quiet"], workspace, env, log)
        _run([dvc, "repro", "--pull", stage], workspace, env, log)
        _run([dvc, "push", "--run-cache", "--quiet"], workspace, env, log)
    except (subprocess.CalledProcessError, OSError) as exc:
        log.append(f"\n{exc}\n")
        raise StageFailed(stage, "".join(log)[-LOG_LIMIT:]) from None
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    text = "".join(log)
    return {"stage": stage, "ran": re.findall(r"Running stage '([^']+)'", text),
            "restored": re.findall(r"Stage '([^']+)' is cached - skipping run", text), "log": text[-LOG_LIMIT:]}
