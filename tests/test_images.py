"""What the images promise that can be checked without Docker: the README's run command mounts every folder a
run needs to outlive its container, the entry point prepares a new state folder for DVC, bytecode caches are no
pipeline dependency, and `make` inside an image (DSCR_VENV) installs nothing. `make test-images` checks the images themselves."""

from __future__ import annotations

import json
import os
import re
import shutil
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


def _dvc_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


def test_the_entrypoint_gives_a_new_state_folder_what_dvc_needs(tmp_path):
    """In a new state folder the image's dvc.lock and manifests links point to nothing, and DVC rejects such a
    lock; the entry point creates both targets, and `dvc repro` then writes through the links into the folder."""
    (tmp_path / ".dscr").mkdir()
    (tmp_path / "dvc.lock").symlink_to(".dscr/dvc.lock")
    (tmp_path / "manifests").symlink_to(".dscr/manifests")
    (tmp_path / "dvc.yaml").write_text(
        "stages:\n  prepare:\n    cmd: echo cifar10 > manifests/cifar10.txt\n"
        "    outs:\n      - manifests:\n          cache: false\n")
    subprocess.run(["dvc", "init", "-q", "--no-scm"], cwd=tmp_path, env=_dvc_env(), check=True)
    entrypoint = REPO / "images" / "base" / "entrypoint.sh"
    subprocess.run(["sh", entrypoint, "dvc", "repro", "-q"], cwd=tmp_path, env=_dvc_env(), check=True)
    assert (tmp_path / "dvc.lock").is_symlink() and (tmp_path / "manifests").is_symlink()
    assert "prepare:" in (tmp_path / ".dscr" / "dvc.lock").read_text()
    assert (tmp_path / ".dscr" / "manifests" / "cifar10.txt").read_text() == "cifar10\n"


def test_bytecode_is_no_pipeline_dependency(tmp_path):
    """Importing the pipeline's source deps (src/dscr/dst, ...) writes __pycache__ into them, and a new container
    starts without it: with the repository's .dvcignore DVC sees neither as a change of the stage."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "module.py").write_text("x = 1\n")
    (tmp_path / "dvc.yaml").write_text(
        "stages:\n  use:\n    cmd: echo used > out.txt\n    deps:\n      - pkg\n    outs:\n      - out.txt\n")
    subprocess.run(["dvc", "init", "-q", "--no-scm"], cwd=tmp_path, env=_dvc_env(), check=True)
    shutil.copy(REPO / ".dvcignore", tmp_path / ".dvcignore")
    subprocess.run(["dvc", "repro", "-q"], cwd=tmp_path, env=_dvc_env(), check=True)
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"bytecode")
    status = subprocess.run(["dvc", "status", "--json"], cwd=tmp_path, env=_dvc_env(), check=True,
                            capture_output=True, text=True).stdout
    assert json.loads(status) == {}


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
