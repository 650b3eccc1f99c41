"""`dscr pipeline ...`: the commands dvc.yaml's stages call, driven by params.yaml.

    dscr pipeline prepare                                  materialise datasets, write manifests/
    dscr pipeline train PROFILE SCENARIO ALGO SEED [--sparsity S] --out RUN_DIR
    dscr pipeline evaluate PROFILE RUN_DIR SUITE [--from DIR]
    dscr pipeline plan TARGET...                           `dvc repro --dry TARGET...` (see `plan`)

A stage's outputs are deleted by DVC before it reruns the stage, so a run trains in a work folder outside
them, `$DSCR_RESUME_DIR/<run folder>` (default `.dscr/resume/...`): a run killed halfway resumes from its last
checkpoint when the stage runs again, if its config and code are unchanged (`dscr.engine.run`), and the
finished run is published into its run folder. Point `DSCR_RESUME_DIR` at a folder every machine can read to
resume a run on another machine.

A scenario whose dataset is absent does not fail the pipeline: its run and result files say "data missing",
and the reports print that instead of a number.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PARAMS = Path("params.yaml")
MISSING = "data missing"
PROFILE_KEYS = ("train_overrides", "evaluate")  # what a profile sets; the rest of params.yaml is shared


def load_params(profile: str | None = None) -> dict:
    """params.yaml, with `profile`'s settings (`train_overrides`, `evaluate`) at the top level when given."""
    import yaml

    from dscr.config import DscrError

    if not PARAMS.is_file():
        raise DscrError("params.yaml not found: run `dscr pipeline` from the repository root")
    params = yaml.safe_load(PARAMS.read_text())
    if profile is None:
        return params
    if profile not in params.get("profiles", []):
        raise DscrError(f"unknown profile '{profile}'; allowed: {', '.join(params.get('profiles', []))}")
    return {**params, **{key: params[profile][key] for key in PROFILE_KEYS}, "profile": profile}


def resume_root() -> Path:
    """Where runs train before they are published (outside every DVC output)."""
    return Path(os.environ.get("DSCR_RESUME_DIR") or ".dscr/resume")


def add_parser(subparsers):
    p = subparsers.add_parser("pipeline", help="stages of the DVC pipeline (dvc.yaml), driven by params.yaml")
    sub = p.add_subparsers(dest="stage", required=True)
    sub.add_parser("prepare", help="materialise datasets and write manifests/{scenarios,suites}/<name>.json")
    t = sub.add_parser("train", help="train one run of the matrix (or mark it data missing)")
    t.add_argument("profile")
    t.add_argument("scenario")
    t.add_argument("algorithm")
    t.add_argument("seed", type=int)
    t.add_argument("--sparsity", type=float, default=None, help="default: the scenario's (params.yaml)")
    t.add_argument("--out", required=True, help="the run folder")
    e = sub.add_parser("evaluate", help="evaluate one run on one suite (or mark it data missing)")
    e.add_argument("profile")
    e.add_argument("run_dir")
    e.add_argument("suite")
    e.add_argument("--from", dest="from_dir", default="")
    pl = sub.add_parser("plan", help="what `dvc repro TARGET...` would run (a dry run that works on a fresh clone)")
    pl.add_argument("targets", nargs="+", help="stages, e.g. report_table2@smoke")
    return p


def run(args) -> int:
    return {"prepare": prepare, "train": train, "evaluate": evaluate, "plan": plan}[args.stage](args)


def plan(args) -> int:
    """`dvc repro --dry TARGET...`, which DVC 3.67 cannot do where a stage depends on an upstream output that
    does not exist yet (a fresh clone): its run-cache lookup hashes the missing file and fails (DVC issue
    #9818). Such a stage cannot be in the run cache, so its lookup is skipped, and DVC prints the rest as is."""
    import dvc.stage.cache as stage_cache
    from dvc.cli import main as dvc_main

    lookup = stage_cache._can_hash

    def can_hash(stage) -> bool:
        return all(dep.exists for dep in stage.deps) and lookup(stage)

    stage_cache._can_hash = can_hash
    try:
        return dvc_main(["repro", "--dry", *args.targets])
    finally:
        stage_cache._can_hash = lookup


# --- prepare ------------------------------------------------------------------------------------------

def _fingerprint(path: Path) -> str:
    """Content hash of a file; names, count and total size of a folder's files (hashing ImageNet would take
    hours)."""
    if path.is_file():
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                h.update(chunk)
        return "sha256:" + h.hexdigest()
    names, files, sizes = hashlib.sha256(), 0, 0
    for root, dirs, found in os.walk(path):
        dirs.sort()
        for name in sorted(found):
            full = os.path.join(root, name)
            names.update(os.path.relpath(full, path).encode() + b"\0")
            files += 1
            sizes += os.path.getsize(full)
    return f"files:{files},bytes:{sizes},names:{names.hexdigest()[:16]}"


def dataset_manifest(params: dict, name: str) -> dict:
    """Whether a dataset is present and, if so, the fingerprint of every entry of its folder (the marker's
    folder when the marker is a file)."""
    marker = Path(params["datasets"][name])
    manifest = {"dataset": name, "path": str(marker), "present": marker.exists()}
    if marker.exists():
        folder = marker.parent if marker.is_file() else marker
        manifest["fingerprint"] = {p.name: _fingerprint(p) for p in sorted(folder.iterdir())}
    return manifest


def suite_sources(params: dict) -> dict[str, str]:
    """Every suite the pipeline evaluates, with the folder of its pre-generated copy ('' when none)."""
    from dscr.config import DscrError

    rows = [*params["table2"]["rows"], *params["table2"]["video_rows"], *params["figure2"]["rows"]]
    sources: dict[str, str] = {}
    for row in rows:
        if sources.setdefault(row["suite"], row["from"]) != row["from"]:
            raise DscrError(f"params.yaml: suite {row['suite']} is read from two folders "
                            f"({sources[row['suite']]!r}, {row['from']!r}); give every row of a suite the same `from`")
    return sources


def by_profile(value, profile: str):
    """A params value that may differ per profile: `{full: X, smoke: Y}` -> the profile's, else the value."""
    if isinstance(value, dict) and value and set(value) <= {"full", "smoke"}:
        return value.get(profile)
    return value


def source_manifest(source: str) -> dict:
    """Whether a pre-generated suite folder is here and, if so, its fingerprint."""
    manifest = {"from": source, "present": bool(source) and Path(source).exists()}
    if manifest["present"]:
        manifest["fingerprint"] = _fingerprint(Path(source))
    return manifest


def _published_dir(suite: str) -> str:
    """`data/<published folder>` of a suite that has published files (data/CIFAR-10-C), else ''."""
    from dscr import corrupt

    folder = corrupt.get_suite(suite).published_dir if suite in corrupt.list_suites() else None
    return f"data/{folder}" if folder else ""


def prepare(args) -> int:
    """Materialise the datasets that can be, and write one manifest per scenario (its dataset's fingerprint),
    per suite (its pre-generated folder's) and per analysis group run: each stage depends on exactly the
    manifests of what it reads."""
    from dscr.config import DscrError
    from dscr.engine.io import write_json_atomic
    from tasks.classification.datasets import ARCHIVES, materialise

    del args
    params = load_params()
    for name in params["datasets"]:
        if name in ARCHIVES:
            try:
                materialise(name, "data")
            except DscrError as exc:  # no mirror and no internet: the scenario is reported as data missing
                print(f"{name}: {exc}")
    datasets = {name: dataset_manifest(params, name) for name in params["datasets"]}
    for name in sorted(Path("manifests").glob("*/*.json")):  # a scenario or suite no longer in params.yaml
        name.unlink()
    for scenario, spec in params["scenarios"].items():
        write_json_atomic(Path("manifests/scenarios") / f"{scenario}.json", {"scenario": scenario,
                                                                             **datasets[spec["dataset"]]})
    for suite, source in suite_sources(params).items():
        manifest = {"suite": suite, **source_manifest(source)}
        published = _published_dir(suite)
        if not source and published:  # evaluation prefers the published files when they are here
            manifest["published"] = source_manifest(published)
        write_json_atomic(Path("manifests/suites") / f"{suite}.json", manifest)
    analyses = params.get("analyses", {})
    for key, entry in analyses.get("runs", {}).items():  # an analysis group's scenario data and suite folder
        group = analyses["groups"][entry["group"]]
        source = by_profile(group.get("from", ""), entry["profile"]) or ""
        write_json_atomic(Path("manifests/analyses") / f"{key}.json", {
            **entry, "data": datasets[params["scenarios"][entry["scenario"]]["dataset"]],
            "suite": by_profile(group.get("suite", ""), entry["profile"]), **source_manifest(source)})
    for name, manifest in datasets.items():
        print(f"{name}: {'present' if manifest['present'] else MISSING} ({manifest['path']})")
    return 0


# --- train ----------------------------------------------------------------------------------------------

def dataset_present(params: dict, name: str) -> bool:
    """Whether params.yaml's `datasets` path for `name` exists (an unknown name is a one-line error)."""
    from dscr.config import DscrError

    if name not in params["datasets"]:
        raise DscrError(f"dataset '{name}' has no entry under `datasets` in params.yaml; known: "
                        f"{', '.join(params['datasets'])}")
    return Path(params["datasets"][name]).exists()


def mark_missing(run_dir: Path, what: dict) -> None:
    """Write every file a trained run has, saying "data missing" (DVC expects each declared output)."""
    from dscr.engine.io import write_json_atomic, write_text_atomic

    write_text_atomic(run_dir / "checkpoints" / "DATA_MISSING", json.dumps(what) + "\n")
    write_json_atomic(run_dir / "metrics.json", {"status": MISSING, **what})
    write_text_atomic(run_dir / "config.yaml", f"# {MISSING}: {json.dumps(what)}\n")
    ensure_dvclive(run_dir)


def ensure_dvclive(run_dir: Path) -> None:
    """The dvclive summary and plots folder the stage declares, empty where dvclive logged nothing (a run
    marked data missing, or dvclive unable to start: metrics.json keeps the history then)."""
    from dscr.engine.io import write_json_atomic

    if not (run_dir / "dvclive" / "metrics.json").is_file():
        write_json_atomic(run_dir / "dvclive" / "metrics.json", {})
    (run_dir / "dvclive" / "plots" / "metrics").mkdir(parents=True, exist_ok=True)


def train_run(params: dict, scenario_name: str, algorithm: str, seed: int, run_dir: Path,
              sparsity: float | None = None, extra: list[str] | None = None, keep_work: bool = False) -> None:
    """Train one run of a scenario in its work folder and publish it into `run_dir` (or mark it data
    missing). The work folder is deleted once the run is published, unless `keep_work`: a stage that trains
    several runs keeps them till all are done, so that rerunning it after a kill (DVC deletes the stage's
    outputs first) publishes the finished ones again instead of training them again."""
    from dscr.config import DscrError

    scenario = params["scenarios"].get(scenario_name)
    if scenario is None:
        raise DscrError(f"unknown scenario '{scenario_name}'; allowed: {', '.join(params['scenarios'])}")
    sparsity = scenario["sparsity"] if sparsity is None else sparsity
    what = {"scenario": scenario_name, "algorithm": algorithm, "sparsity": sparsity, "seed": seed,
            "dataset": scenario["dataset"], "profile": params["profile"]}
    if not dataset_present(params, scenario["dataset"]):
        mark_missing(run_dir, what)
        print(f"{scenario_name}: {MISSING} ({params['datasets'][scenario['dataset']]}); marked {run_dir}")
        return
    (run_dir / "checkpoints" / "DATA_MISSING").unlink(missing_ok=True)
    work_dir = resume_root() / run_dir
    overrides = list(params["train_overrides"].get(scenario["task"], [])) + list(extra or []) + [
        f"dst.algorithm={algorithm}", f"dst.sparsity={sparsity}", f"seed={seed}", f"name={run_dir.name}",
        f"out_dir={run_dir.parent}", f"work_dir={work_dir}", "resume=true"]
    if scenario["task"] == "classification":
        from dscr.config import load_config
        from tasks.classification import train as task
        from tasks.classification.config import TrainConfig

        task.main(load_config(TrainConfig, scenario["config"], overrides))
    else:
        from tasks.video import pipeline as video

        video.train(scenario["config"], overrides)
    if os.environ.get("RANK", "0") != "0":  # under torchrun, the first process publishes and cleans up
        return
    ensure_dvclive(run_dir)
    if not keep_work:
        shutil.rmtree(work_dir, ignore_errors=True)


def scenario_gpus(params: dict, scenario: str) -> int:
    """The GPUs one run of a scenario trains on (params.yaml `gpus`; 1 when unset)."""
    return int(params["scenarios"].get(scenario, {}).get("gpus", 1))


def torchrun_command(gpus: int, visible: int, argv: list[str]) -> list[str] | None:
    """The command that reruns this `dscr` invocation as one process per GPU under torchrun, when a scenario
    trains on several GPUs, this machine has them and the process is not one of torchrun's already."""
    if gpus <= 1 or visible < gpus or "RANK" in os.environ:
        return None
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(gpus),
            "-m", "dscr", *argv]


def train(args) -> int:
    params = load_params(args.profile)
    gpus = scenario_gpus(params, args.scenario)
    if gpus > 1:
        import torch

        visible = torch.cuda.device_count()
        command = torchrun_command(gpus, visible, sys.argv[1:])
        if command:
            return subprocess.run(command).returncode
        if "RANK" not in os.environ and visible:  # (on a CPU there is nothing to say)
            print(f"{args.scenario} trains on {gpus} GPUs; this machine has {visible}: one process, the whole batch")
    train_run(params, args.scenario, args.algorithm, args.seed, Path(args.out), args.sparsity)
    return 0


# --- evaluate -------------------------------------------------------------------------------------------

def evaluate(args) -> int:
    """Evaluate a run on the whole suite and its whole test set, with the profile's corruption seed."""
    from dscr.engine.io import write_json_atomic
    from dscr.results import result_path

    params = load_params(args.profile)
    run_dir = Path(args.run_dir)
    missing = (run_dir / "checkpoints" / "DATA_MISSING").is_file() or (args.from_dir and not Path(args.from_dir).exists())
    if missing:
        write_json_atomic(result_path(run_dir, args.suite), {"status": MISSING, "suite": args.suite,
                                                             "run": str(run_dir)})
        print(f"{run_dir}: {args.suite} {MISSING}")
        return 0
    seed = int(params["evaluate"].get("seed", 0))
    if args.suite == "ucf101-c":
        from tasks.video import pipeline as video

        video.evaluate(run_dir, args.suite, seed=seed)
        return 0
    from tasks.classification.evaluate import evaluate_runs

    result = evaluate_runs([run_dir], args.suite, from_dir=args.from_dir or None, seed=seed,
                           prefer_published=True)[str(run_dir)]
    print(f"{run_dir}: {args.suite} clean {result['clean_accuracy']:.2f}%  robustness "
          f"{result['robustness_accuracy']:.2f}% ({result.get('source', 'test set')})")
    return 0
