"""The real dvc.yaml and Makefile on a shrunk smoke profile: a second repro runs nothing, results travel to a
fresh clone through a DVC remote's run cache, and `dvc status` names exactly the stages a change affects.

The repository under test is this checkout's pipeline files, committed in a temporary git repository with a
local-directory DVC remote; its clones run this checkout's code from their own `src/` and `tasks/`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pipeline_repo import clone, dvc_json, make, make_origin, ran, restored, sh

TABLE2 = {"train@smoke-cifar10_vgg16-dense-0", "train@smoke-cifar10_vgg16-set-0", "train@smoke-cifar100_resnet34-dense-0",
          "train@smoke-cifar100_resnet34-set-0", "evaluate@smoke-row0-dense-0", "evaluate@smoke-row0-set-0",
          "evaluate@smoke-row1-dense-0", "evaluate@smoke-row1-set-0", "report_table2@smoke"}


@pytest.fixture(scope="module")
def origin(tmp_path_factory, repo_root):
    """This checkout's pipeline, shrunk: CIFAR-10 (here) and CIFAR-100 (absent: data missing), Dense and SET,
    one seed, a 128-image training set; with a local-directory DVC remote."""
    root = tmp_path_factory.mktemp("pipeline")
    return make_origin(repo_root, root, scenarios={"cifar10_vgg16": "data/cifar10/train_images.npy",
                                                   "cifar100_resnet34": str(root / "absent")},
                       algorithms=["dense", "set"], seeds=[0],
                       overrides=["epochs=1", "batch_size=32", "data.train_subset=128", "data.test_subset=40",
                                  "model.name=resnet_tiny", "model.kwargs={width: 4}", "threads=1",
                                  "dst.update_interval=2"])


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
