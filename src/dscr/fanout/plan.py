"""Which stages a report needs that are worth a machine of their own (training, evaluation), in dependency
order, and what each asks the cluster for."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from dscr.config import DscrError

# Stages scheduled as Ray tasks; the rest (prepare, reports) are cheap and run on the driver.
TASK_STAGES = ("train", "train_video", "train_sweep", "train_sweep_dense", "evaluate", "evaluate_video",
               "evaluate_sweep", "evaluate_sweep_dense", "analysis_train")


@dataclass(frozen=True)
class StageTask:
    name: str                  # the DVC stage, e.g. train@smoke-cifar10_vgg16-rigl-0
    after: tuple[str, ...]     # the task stages whose outputs it reads
    gpus: float                # GPUs it asks Ray for (a multi-GPU training runs torchrun inside)
    cpus: float


def gpus_of(stage_cmd: str, params: dict) -> int:
    """GPUs of a stage: its scenario's `gpus` (params.yaml; 1 when unset) for a training run, 1 otherwise."""
    words = shlex.split(stage_cmd)
    if words[:3] == ["dscr", "pipeline", "train"] and len(words) > 4:
        from dscr.cli.pipeline import scenario_gpus

        return scenario_gpus(params, words[4])
    return 1


def plan(targets: list[str], params: dict, *, gpus_per_run: float | None = None, cpus_per_run: float = 1.0,
         use_gpus: bool = True) -> list[StageTask]:
    """The task stages `targets` depend on (and the targets themselves when they are tasks), upstream first.

    Args:
        targets: DVC stage names (report_table2@smoke).
        params: params.yaml, for each scenario's GPU count.
        gpus_per_run: GPUs of every single-GPU stage instead of 1 (a fraction lets runs share a GPU); multi-GPU
            trainings keep their count.
        use_gpus: False on a cluster without GPUs (every task asks for CPUs only).
    """
    import networkx as nx
    from dvc.repo import Repo

    with Repo(".") as repo:
        graph = repo.index.graph  # edges go from a stage to the stages it depends on
        roots = []
        for target in targets:
            try:
                roots += repo.stage.collect(target)
            except Exception as exc:  # noqa: BLE001  DVC's StageNotFound and relatives
                raise DscrError(f"unknown stage '{target}' ({exc.__class__.__name__}); see `dvc stage list`") from None
        needed = set(roots).union(*(nx.descendants(graph, r) for r in roots))
        tasks = {s for s in needed if s.name.split("@")[0] in TASK_STAGES}
        ordered = [s for s in reversed(list(nx.topological_sort(graph.subgraph(needed)))) if s in tasks]
        out = []
        for stage in ordered:
            gpus = gpus_of(stage.cmd, params)
            asked = 0.0 if not use_gpus else (gpus if gpus > 1 or gpus_per_run is None else gpus_per_run)
            after = tuple(sorted(s.addressing for s in nx.descendants(graph, stage) if s in tasks))
            out.append(StageTask(stage.addressing, after, float(asked), float(cpus_per_run)))
    return out
