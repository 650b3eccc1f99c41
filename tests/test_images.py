"""What the images promise that can be checked without Docker: the README's run command mounts every folder a
run needs to outlive its container, the entry point gives DVC a lock file it accepts in a new state folder, and
`make` inside an image (DSCR_VENV) installs nothing. `make test-images` checks the images themselves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Where a run keeps what must outlive the container (images/README.md's table of folders).
STATE_MOUNTS = ("/workspace/data", "/workspace/runs", "/workspace/reports", "/workspace/.dvc/cache",
                "/workspace/.dscr")


def test_the_readme_run_command_mounts_the_pipeline_state():
    block = subprocess.run(["bash", "images/test_pipeline_run.sh", "--print-command"], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout
    mounted = set(re.findall(r'-v "[^"]+:(/workspace[^":]*)"', block))
    assert mounted == set(STATE_MOUNTS)
    assert re.search(r"dscr/classification make reproduce-table2 PROFILE=", block)


def test_the_entrypoint_seeds_a_lock_dvc_accepts(tmp_path):
    """In a new state folder dvc.lock is a link to nothing, which DVC rejects; the entry point writes an empty lock
    there, and `dvc repro` then runs and records its stage through the link."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    (tmp_path / ".dscr").mkdir()
    (tmp_path / "dvc.lock").symlink_to(".dscr/dvc.lock")
    (tmp_path / "dvc.yaml").write_text("stages:\n  hello:\n    cmd: echo hello > out.txt\n    outs:\n      - out.txt\n")
    subprocess.run([bin_dir / "dvc", "init", "-q", "--no-scm"], cwd=tmp_path, env=env, check=True)
    entrypoint = REPO / "images" / "base" / "entrypoint.sh"
    subprocess.run(["sh", entrypoint, "dvc", "repro", "-q"], cwd=tmp_path, env=env, check=True)
    assert (tmp_path / "dvc.lock").is_symlink()
    assert "hello:" in (tmp_path / ".dscr" / "dvc.lock").read_text()


def _make_dry_run(*args: str) -> str:
    return subprocess.run(["make", "-n", "-s", *args], cwd=REPO, check=True, capture_output=True,
                          text=True).stdout


def test_make_in_an_image_installs_nothing(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    in_image = _make_dry_run("setup", f"DSCR_VENV={venv}")
    assert "pip install" not in in_image
    assert f"{venv}/bin/dvc repro" in _make_dry_run("reproduce-table2", f"DSCR_VENV={venv}")
    # Without DSCR_VENV the same target installs the developer lock into .venv when the lock is newer.
    assert "pip install -q --require-hashes -r requirements/lock.txt" in _make_dry_run(
        "setup", "-W", "requirements/lock.txt")
