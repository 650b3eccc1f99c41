"""The launch driver: every task stage as a Ray task in dependency order, then the report on the driver.

A task lost with its node (the worker died, the node went away, its process was killed by a signal) is retried
by Ray on another node, up to `max_retries` times, and resumes from its run's last checkpoint; a task whose
command fails is not retried,
its log is kept, and the stages that need it are skipped. Every task's log is written to
`runs/<profile>/logs/<stage>.log` on the driver.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path

from .plan import StageTask
from .workspace import Checkout, StageFailed, StageInterrupted, dvc_command, run_stage, tool_env

TRACKER = "dscr-launch"  # the named actor that records where each task runs (namespace "dscr")


@dataclass
class Outcome:
    done: dict[str, dict] = field(default_factory=dict)      # stage -> its task's result
    failed: dict[str, str] = field(default_factory=dict)     # stage -> why (its own failure, or the one it needed)
    attempts: dict[str, int] = field(default_factory=dict)   # stage -> times a task started it

    @property
    def retried(self) -> int:
        return sum(n - 1 for n in self.attempts.values() if n > 1)


def _remote_parts():
    import ray

    @ray.remote(num_cpus=0)
    class Tracker:
        """Where and how often each stage started, for the progress line (and tests that kill its node)."""

        def __init__(self):
            self.state: dict[str, dict] = {}

        def started(self, stage: str, node: str, pid: int) -> None:
            entry = self.state.setdefault(stage, {"attempts": 0})
            entry.update(node=node, pid=pid, status="running", attempts=entry["attempts"] + 1)

        def finished(self, stage: str, status: str) -> None:
            self.state[stage]["status"] = status

        def snapshot(self) -> dict:
            return self.state

    def stage_task(stage: str, checkout: Checkout, tracker, *upstream) -> dict:
        del upstream  # the upstream stages' results: only their being done matters (Ray waits for them)
        node = ray.get_runtime_context().get_node_id()
        ray.get(tracker.started.remote(stage, node, os.getpid()))
        try:  # workspaces in a folder of the node's own (several nodes may share a machine)
            result = run_stage(stage, replace(checkout, scratch=str(Path(checkout.scratch) / node[:12])))
        except StageFailed:
            tracker.finished.remote(stage, "failed")
            raise
        tracker.finished.remote(stage, "done")
        return {**result, "node": node}

    return Tracker, ray.remote(stage_task)


def _log_path(stage: str) -> Path:
    profile = stage.split("@", 1)[1].split("-", 1)[0] if "@" in stage else "launch"
    return Path("runs") / profile / "logs" / (re.sub(r"[^\w.@-]", "_", stage) + ".log")


def _progress(tracker_state: dict, outcome: Outcome, total: int) -> str:
    running: dict[str, int] = {}
    for entry in tracker_state.values():
        if entry.get("status") == "running":
            running[entry["node"][:8]] = running.get(entry["node"][:8], 0) + 1
    per_node = ", ".join(f"node {n}: {k}" for n, k in sorted(running.items())) or "-"
    return (f"launch: {len(outcome.done)}/{total} done, {sum(running.values())} running ({per_node}), "
            f"{len(outcome.failed)} failed, {outcome.retried} retried")


def run_tasks(tasks: list[StageTask], checkout: Checkout, *, address: str, max_retries: int = 3,
              show: bool = True) -> Outcome:
    """Run every task stage on the Ray cluster at `address`; returns what was done, failed and retried."""
    import ray

    from dscr.engine.io import write_text_atomic

    ray.init(address=address, namespace="dscr", log_to_driver=False, ignore_reinit_error=True)
    Tracker, stage_task = _remote_parts()
    # On the head node, which outlives the workers a launch may lose.
    tracker = Tracker.options(name=TRACKER, resources={"node:__internal_head__": 0.001}).remote()
    refs: dict[str, object] = {}
    for task in tasks:
        refs[task.name] = stage_task.options(
            num_cpus=task.cpus, num_gpus=task.gpus, max_retries=max_retries, retry_exceptions=[StageInterrupted],
        ).remote(task.name, checkout, tracker, *[refs[a] for a in task.after])
    outcome, pending, last = Outcome(), {ref: name for name, ref in refs.items()}, ""
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=2.0)
        for ref in ready:
            stage = pending.pop(ref)
            try:
                outcome.done[stage] = result = ray.get(ref)
                log = result["log"]
            except Exception as exc:  # noqa: BLE001  RayTaskError wrapping StageFailed, or a task lost too often
                cause = getattr(exc, "cause", exc)
                if isinstance(cause, StageFailed):
                    own = cause.stage == stage
                    outcome.failed[stage] = "failed" if own else f"skipped: {cause.stage} failed"
                else:  # its node (or an upstream stage's) was lost more than max_retries times
                    own, outcome.failed[stage] = False, f"lost: {cause.__class__.__name__}: {str(cause)[:200]}"
                log = cause.log if own else f"{outcome.failed[stage]}\n{exc}\n"
            write_text_atomic(_log_path(stage), log)
        state = ray.get(tracker.snapshot.remote())
        outcome.attempts = {stage: entry["attempts"] for stage, entry in state.items()}
        line = _progress(state, outcome, len(tasks))
        if show and line != last:
            print(line, flush=True)
            last = line
    return outcome


def finish(targets: list[str]) -> tuple[int, str]:
    """The driver's own `dvc fetch --run-cache` + `dvc repro --pull TARGETS`: every stage the tasks finished
    comes back from the remote's run cache; the rest (prepare, the report) runs here and is pushed too, so any
    clone restores the whole pipeline. Returns (exit code, log)."""
    dvc, env, log = dvc_command(), tool_env(), ""
    for cmd in ([dvc, "fetch", "--run-cache", "--quiet"], [dvc, "repro", "--pull", *targets],
                [dvc, "push", "--run-cache", "--quiet"]):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        log += result.stdout + result.stderr
        if result.returncode != 0:
            return result.returncode, log
    return 0, log
