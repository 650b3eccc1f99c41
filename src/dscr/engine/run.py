"""A training run's files: where they are written while it trains, what identifies its experiment, and the
rules that keep a finished run from being overwritten or continued by another experiment.

A run folder (`<out_dir>/<name>/`) ends up holding `config.yaml`, `checkpoints/`, `metrics.json` and a dvclive
log. While the run trains they are written into its *work folder*: the run folder itself for a plain
`dscr train`, or a folder outside the DVC stage outputs for the pipeline (DVC deletes a stage's outputs before
it reruns the stage, so an interrupted run's checkpoint must live elsewhere to be resumed; see
`dscr.cli.pipeline`). `publish` then links the finished files into the run folder.

A checkpoint carries the run's *fingerprint*: the resolved config and a hash of every source file the
training executes. A run resumes only from a checkpoint whose fingerprint matches, so a code or config change
never continues (or reports) a model trained by other code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

from dscr.config import DscrError

# Dotted config keys that say how a run is executed, not what it computes: they may differ on resume.
RUN_CONTROL_KEYS = {"name", "out_dir", "work_dir", "resume", "overwrite", "halt_after_epochs", "threads", "device",
                    "keep_every", "eval_every", "data.num_workers", "data.eval_batch_size", "data.root"}
# What a finished or started run leaves in its folder; `overwrite=true` removes exactly these.
RUN_FILES = ("config.yaml", "checkpoints", "metrics.json", "dvclive", "robustness")


def module_files(modules: tuple[str, ...] | list[str]) -> dict[str, Path]:
    """The source files of `modules` (a module's own file, or every .py file below a package), keyed by
    their path below the import root (`dscr/dst/base.py`), the same wherever the code is checked out."""
    files: dict[str, Path] = {}
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise DscrError(f"code fingerprint: module {name} not found")
        prefix = name.replace(".", "/")
        if spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                for path in sorted(Path(location).rglob("*.py")):
                    if "__pycache__" not in path.parts:
                        files[f"{prefix}/{path.relative_to(location).as_posix()}"] = path
        else:
            files[f"{prefix}.py"] = Path(spec.origin)
    return files


def code_hashes(modules: tuple[str, ...] | list[str]) -> dict[str, str]:
    """sha256 of every source file of `modules`, keyed by its path below the import root."""
    return {key: hashlib.sha256(path.read_bytes()).hexdigest() for key, path in module_files(modules).items()}


def fingerprint(config: dict[str, Any], code_modules: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """What identifies a run's experiment: its full resolved config and the hashes of the code it executes."""
    return {"config": config, "code": code_hashes(code_modules)}


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


def config_changes(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Dotted keys whose values differ between two resolved configs, run-control keys aside."""
    a, b = _flatten(saved), _flatten(current)
    return sorted(k for k in set(a) | set(b) if k not in RUN_CONTROL_KEYS and a.get(k, "<absent>") != b.get(k, "<absent>"))


def fingerprint_changes(saved: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """Config keys and source files that differ between a checkpoint's fingerprint and the current one."""
    if not saved:
        return ["(a checkpoint without a fingerprint)"]
    code_a, code_b = saved.get("code", {}), current["code"]
    files = sorted(f for f in set(code_a) | set(code_b) if code_a.get(f) != code_b.get(f))
    return config_changes(saved.get("config", {}), current["config"]) + files


class RunFiles:
    """The run folder and the work folder a run writes into while it trains."""

    def __init__(self, run_dir: str | Path, work_dir: str | Path | None = None):
        self.run_dir = Path(run_dir)
        self.work_dir = Path(work_dir) if work_dir else self.run_dir

    @property
    def last(self) -> Path:
        """The checkpoint a resumed run continues from."""
        return self.work_dir / "checkpoints" / "last.pt"

    def _holds_run(self, folder: Path) -> str | None:
        if (folder / "metrics.json").is_file():
            return "a finished run"
        if (folder / "checkpoints" / "last.pt").is_file():
            return "an unfinished run"
        return None

    def claim(self, *, resume: bool, overwrite: bool) -> None:
        """Refuse to write over another run unless asked: `resume` continues it (when it is the same
        experiment), `overwrite` lets a fresh start delete it (`reset`, once the new run's settings and data
        are accepted, so a refused run destroys nothing)."""
        if resume or overwrite:
            return
        for folder in (self.run_dir, self.work_dir):
            held = self._holds_run(folder)
            if held:
                raise DscrError(f"{folder} already holds {held}; pass resume=true to keep it (an unfinished run of "
                                f"the same experiment continues), or overwrite=true to train it again")

    def reset(self) -> None:
        """Delete what an earlier run left in the run and work folders (a fresh start)."""
        for folder in {self.run_dir, self.work_dir}:
            for name in RUN_FILES:
                path = folder / name
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)

    def publish(self) -> None:
        """Put the finished run's files into the run folder (hard links where the file system allows)."""
        if self.work_dir.resolve() == self.run_dir.resolve():
            return
        for source in sorted(p for p in self.work_dir.rglob("*") if p.is_file()):
            target = self.run_dir / source.relative_to(self.work_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            try:
                os.link(source, target)
            except OSError:  # another file system: copy instead
                shutil.copy2(source, target)
