"""The real dvc.yaml and Makefile on a shrunk smoke profile: a second repro runs nothing, results travel to a
fresh clone through a DVC remote's run cache, and `dvc status` names exactly the stages a change affects.

The repository under test is this checkout's pipeline files, committed in a temporary git repository with a
local-directory DVC remote; its clones run this checkout's code from their own `src/` and `tasks/`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

VENV = Path(sys.executable).parent.parent
FILES = ["dvc.yaml", "params.yaml", "Makefile", "analyses.mk", "images/images.mk", ".dvcignore", ".gitignore",
         "src", "tasks"]
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
TABLE2 = {"train@smoke-cifar10_vgg16-dense-0", "train@smoke-cifar10_vgg16-set-0", "train@smoke-cifar100_resnet34-dense-0",
          "train@smoke-cifar100_resnet34-set-0", "evaluate@smoke-row0-dense-0", "evaluate@smoke-row0-set-0",
          "evaluate@smoke-row1-dense-0", "evaluate@smoke-row1-set-0", "report_table2@smoke"}


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


@pytest.fixture(scope="module")
def origin(tmp_path_factory, repo_root):
    """A repository of this checkout's pipeline, shrunk: CIFAR-10 (here) and CIFAR-100 (absent: data missing),
    Dense and SET, one seed, a 128-image training set; with a local-directory DVC remote."""
    root = tmp_path_factory.mktemp("pipeline")
    repo = root / "origin"
    for name in FILES:
        src, dst = repo_root / name, repo / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__")) if src.is_dir()
         else shutil.copy(src, dst))
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["profiles"] = ["smoke"]
    del params["full"]
    params["smoke"]["train_overrides"]["classification"] = [
        "epochs=1", "batch_size=32", "data.train_subset=128", "data.test_subset=40", "model.name=resnet_tiny",
        "model.kwargs={width: 4}", "threads=1", "dst.update_interval=2"]
    params["datasets"] = {"cifar10": "data/cifar10/train_images.npy", "cifar100": str(root / "absent")}
    params["scenarios"] = {k: params["scenarios"][k] for k in ("cifar10_vgg16", "cifar100_resnet34")}
    params["table2"].update(algorithms=["dense", "set"], seeds=[0], scenarios=["cifar10_vgg16", "cifar100_resnet34"],
                            video_scenarios=[], video_rows=[],
                            rows=[{"scenario": "cifar10_vgg16", "suite": "cifar10-c", "from": ""},
                                  {"scenario": "cifar100_resnet34", "suite": "cifar100-c", "from": ""}])
    params["figure2"].update(algorithms=["set"], sparsities=[0.5], seeds=[0], rows=params["table2"]["rows"][:1])
    params["analyses"]["runs"] = {}
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    sh(repo, "git", "init", "-q")
    sh(repo, "dvc", "init", "-q")
    sh(repo, "dvc", "remote", "add", "-d", "shared", str(root / "remote"))
    sh(repo, "git", "add", "-A")
    sh(repo, *GIT, "commit", "-qm", "pipeline")
    return repo


@pytest.fixture(scope="module")
def trained(origin, cifar10_root):
    """Clone A: the smoke Table 2 reproduced and pushed to the remote (outputs and run-cache entries)."""
    repo = clone(origin, origin.parent / "A", cifar10_root)
    log = make(repo, "reproduce-table2", "PROFILE=smoke")
    sh(repo, "dvc", "push", "--run-cache")
    return repo, log


def test_a_repro_runs_the_matrix_once(trained):
    repo, first = trained
    assert ran(first) == {"prepare"} | TABLE2
    table = (repo / "reports/smoke/table2.md").read_text()
    assert re.search(r"\| cifar10_vgg16 \| cifar10-c \| 0.5 \| \*?\*?\d+\.\d\d ± 0\.00", table)
    assert "| cifar100_resnet34 | cifar100-c | - | data missing | data missing |" in table
    # prepare checks the data each time; nothing else runs again
    assert ran(make(repo, "reproduce-table2", "PROFILE=smoke")) == {"prepare"}
    assert sh(repo, "git", "status", "--porcelain", stdout_only=True).splitlines() == ["?? dvc.lock"]


def test_a_fresh_clone_restores_every_stage_from_the_remote(trained, origin, cifar10_root):
    a, _ = trained
    b = clone(origin, origin.parent / "B", cifar10_root)
    log = make(b, "reproduce-table2", "PROFILE=smoke")
    assert ran(log) == {"prepare"} and restored(log) == TABLE2
    assert (b / "reports/smoke/table2.md").read_text() == (a / "reports/smoke/table2.md").read_text()
    assert sh(b, "git", "status", "--porcelain", stdout_only=True).splitlines() == ["?? dvc.lock"]


def test_metrics_and_experiments_show_the_measured_values(trained):
    repo, _ = trained
    measured = json.loads((repo / "runs/smoke/table2/cifar10_vgg16/set-seed0/robustness/cifar10-c.json").read_text())
    shown = dvc_json(repo, "metrics", "show")
    workspace = shown[""]["data"]  # "" is the workspace
    result = workspace["runs/smoke/table2/cifar10_vgg16/set-seed0/robustness/cifar10-c.json"]["data"]
    assert result["robustness_accuracy"] == measured["robustness_accuracy"]
    summary = workspace["reports/smoke/table2_summary.json"]["data"]
    assert summary["cifar10_vgg16/cifar10-c"]["set"]["robustness"] == pytest.approx(measured["robustness_accuracy"])
    experiments = dvc_json(repo, "exp", "show")
    files = experiments[0]["data"]["metrics"]  # the workspace row
    assert files["reports/smoke/table2_summary.json"]["data"] == summary


def _status(repo: Path) -> set[str]:
    return set(dvc_json(repo, "status"))


def _downstream(repo: Path, stages: set[str]) -> set[str]:
    """`stages` and every stage of report_table2@smoke's graph that depends on them (DVC's own graph)."""
    dot = sh(repo, "dvc", "dag", "--dot", "report_table2@smoke", stdout_only=True)
    edges = re.findall(r'"([^"]+)" -> "([^"]+)"', dot)
    found = set(stages)
    while True:
        more = {b for a, b in edges if a in found} - found
        if not more:
            return found
        found |= more


CIFAR10_TRAIN = {"train@smoke-cifar10_vgg16-dense-0", "train@smoke-cifar10_vgg16-set-0"}
EVALUATE = {"evaluate@smoke-row0-dense-0", "evaluate@smoke-row0-set-0", "evaluate@smoke-row1-dense-0",
            "evaluate@smoke-row1-set-0"}


@pytest.mark.parametrize("path, old, new, changed, reruns", [
    # a scenario's config: its runs (dvc status), then their evaluations and the report (the plan)
    ("tasks/classification/configs/cifar10_vgg16.yaml", "lr: 0.1", "lr: 0.05", CIFAR10_TRAIN,
     CIFAR10_TRAIN | {"evaluate@smoke-row0-dense-0", "evaluate@smoke-row0-set-0", "report_table2@smoke"}),
    ("tasks/classification/configs/cifar10_vgg16.yaml", "name: vgg16", "name: resnet_tiny", CIFAR10_TRAIN,
     CIFAR10_TRAIN | {"evaluate@smoke-row0-dense-0", "evaluate@smoke-row0-set-0", "report_table2@smoke"}),
    # one line of the DST module: every run, and every evaluation (which loads the models through it)
    ("src/dscr/dst/masks.py", "\n", "\n# a one-line change\n", TABLE2 - {"report_table2@smoke"}, TABLE2),
    # the profile's evaluation settings: evaluations only
    ("params.yaml", "evaluate:\n    seed: 0", "evaluate:\n    seed: 1", EVALUATE, EVALUATE | {"report_table2@smoke"}),
])
def test_a_change_invalidates_exactly_the_stages_it_affects(trained, path, old, new, changed, reruns):
    """`dvc status` names the stages whose own inputs changed, and DVC's graph what depends on them. Stages
    never run here (Figure 2) and prepare (always run) are listed before the change too."""
    repo, _ = trained
    before, text = _status(repo), (repo / path).read_text()
    assert old in text
    (repo / path).write_text(text.replace(old, new, 1))
    try:
        assert _status(repo) - before == changed
        assert _downstream(repo, changed) == reruns
    finally:
        (repo / path).write_text(text)


def test_published_corruption_files_arriving_invalidate_that_suites_evaluations_only(trained):
    """Evaluation prefers data/CIFAR-10-C when it is there: its arrival changes the suite's manifest."""
    repo, _ = trained
    before = _status(repo)
    published = repo / "data" / "CIFAR-10-C"
    published.mkdir()
    (published / "labels.npy").write_bytes(b"the published files")
    try:
        sh(repo, "dvc", "repro", "prepare")
        assert _status(repo) - before == {"evaluate@smoke-row0-dense-0", "evaluate@smoke-row0-set-0"}
    finally:
        shutil.rmtree(published)
        sh(repo, "dvc", "repro", "prepare")
    assert _status(repo) == before


def test_a_changed_evaluation_setting_reruns_the_evaluations_and_the_report(trained):
    repo, _ = trained
    path = repo / "params.yaml"
    text = path.read_text()
    path.write_text(text.replace("evaluate:\n    seed: 0", "evaluate:\n    seed: 1", 1))
    try:
        assert ran(make(repo, "reproduce-table2", "PROFILE=smoke")) == {"prepare", "report_table2@smoke"} | EVALUATE
    finally:
        path.write_text(text)
    # back to the first settings: every stage comes back from the run cache
    log = make(repo, "reproduce-table2", "PROFILE=smoke")
    assert ran(log) == {"prepare"} and restored(log) == EVALUATE | {"report_table2@smoke"}


def test_plan_prints_what_a_fresh_clone_would_run(origin, cifar10_root):
    """`dvc repro --dry` fails where an upstream output does not exist yet (DVC issue #9818); the plan does not."""
    repo = clone(origin, origin.parent / "fresh", cifar10_root)
    log = make(repo, "reproduce-table2", "PROFILE=smoke", "DRY=1")
    assert ran(log) == {"prepare"} | TABLE2
    assert not (repo / "runs").exists() and not (repo / "manifests").exists()
