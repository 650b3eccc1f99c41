"""dvc.yaml's train and evaluate stages depend on exactly the source files their commands execute: the files
a real run imports are all declared, and the declared code is the code whose hashes a checkpoint records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# Imported on the way to the command but computing nothing: package markers and the CLI's argument parsing.
PACKAGE_MARKERS = {"src/dscr/__init__.py", "src/dscr/__main__.py", "tasks/__init__.py",
                   "tasks/classification/__init__.py", "tasks/video/__init__.py", "src/dscr/cli/__init__.py"}


def stage_deps(repo_root: Path, stage: str) -> list[str]:
    stages = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]
    return [d for d in stages[stage]["deps"] if "${" not in d]  # the item's config, manifest and run folder aside


def module_path(module: str) -> str:
    """Where a module of CODE lives in the checkout: src/dscr/... or tasks/..."""
    path = module.replace(".", "/")
    return f"src/{path}" if module.startswith("dscr") else path


def covered(path: str, deps: list[str]) -> bool:
    return any(path == d or path.startswith(d + "/") or path == d + ".py" for d in deps)


def imported_files(repo_root: Path, code: str) -> set[str]:
    """The checkout's source files a fresh interpreter has imported after running `code`."""
    script = code + (
        "\nimport json, sys, pathlib\nroot = pathlib.Path(sys.argv[1]).resolve()\n"
        "files = {str(pathlib.Path(m.__file__).resolve().relative_to(root)) for m in list(sys.modules.values())\n"
        "         if getattr(m, '__file__', None) and pathlib.Path(m.__file__).is_absolute()\n"
        "         and pathlib.Path(m.__file__).resolve().is_relative_to(root)\n"
        "         and '.venv' not in m.__file__}\nprint(json.dumps(sorted(files)))\n")
    result = subprocess.run([sys.executable, "-c", script, str(repo_root)], capture_output=True, text=True,
                            timeout=300, cwd=repo_root)
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("stage, task", [("train", "classification"), ("train_sweep", "classification"),
                                         ("train_sweep_dense", "classification"), ("train_video", "video")])
def test_train_deps_are_the_fingerprinted_code(repo_root, stage, task):
    import importlib

    code = importlib.import_module(f"tasks.{task}.train").CODE
    expected = {module_path(m) + ("" if (repo_root / module_path(m)).is_dir() else ".py") for m in code}
    expected |= {"src/dscr/cli/pipeline.py"} | ({"tasks/video/pipeline.py"} if task == "video" else set())
    assert set(stage_deps(repo_root, stage)) == expected


def test_a_classification_run_imports_only_declared_code(repo_root, cifar10_root, tmp_path):
    train = f"""
from dscr.cli import main
main(["train", "--config", "tasks/classification/configs/smoke.yaml", "epochs=1", "batch_size=32",
      "data.train_subset=64", "data.test_subset=32", "model.kwargs={{width: 4}}", "threads=1",
      "data.root={cifar10_root}", "out_dir={tmp_path}", "name=r", "dst.algorithm=rigl"])
"""
    files = imported_files(repo_root, train) - PACKAGE_MARKERS - cli_parsers(repo_root)
    deps = stage_deps(repo_root, "train")
    assert "tasks/classification/train.py" in files and [f for f in files if not covered(f, deps)] == []
    evaluate = f"""
from dscr.cli import main
main(["evaluate", "{tmp_path / 'r'}", "--suite", "cifar10-c", "--limit", "8", "--corruptions", "fog,glass_blur"])
"""
    files = imported_files(repo_root, evaluate) - PACKAGE_MARKERS - cli_parsers(repo_root)
    deps = stage_deps(repo_root, "evaluate")
    assert "tasks/classification/evaluate.py" in files and [f for f in files if not covered(f, deps)] == []


def cli_parsers(repo_root: Path) -> set[str]:
    """The CLI's subcommand modules: `dscr` imports all of them to build its parser; each imports its code in
    `run`, so only the one a stage calls (`dscr pipeline`, declared) executes anything."""
    return {str(p.relative_to(repo_root)) for p in (repo_root / "src/dscr/cli").glob("*.py")} - \
        {"src/dscr/cli/pipeline.py"}


def test_a_video_run_imports_only_declared_code(repo_root):
    files = imported_files(repo_root, "import tasks.video.pipeline, tasks.video.train, tasks.video.evaluate") \
        - PACKAGE_MARKERS
    deps = stage_deps(repo_root, "train_video")
    assert files and not [f for f in files if not covered(f, deps)]
