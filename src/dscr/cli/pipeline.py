"""`dscr pipeline ...`: the commands dvc.yaml's stages call, driven by params.yaml.

    dscr pipeline prepare                  materialise what can be, write manifests/<dataset>.json
    dscr pipeline train SCENARIO ALGO SEED [--sparsity S] --out RUN_DIR
    dscr pipeline evaluate RUN_DIR SUITE [--from DIR]
    dscr pipeline profile smoke|full       copy a profile's settings over the active ones in params.yaml

A scenario whose dataset is absent does not fail the pipeline: its run and result files say
"data missing", and the reports print that instead of a number.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

PARAMS = Path("params.yaml")
MISSING = "data missing"


def load_params() -> dict:
    import yaml

    from dscr.config import DscrError

    if not PARAMS.is_file():
        raise DscrError("params.yaml not found: run `dscr pipeline` from the repository root")
    return yaml.safe_load(PARAMS.read_text())


def add_parser(subparsers):
    p = subparsers.add_parser("pipeline", help="stages of the DVC pipeline (dvc.yaml), driven by params.yaml")
    sub = p.add_subparsers(dest="stage", required=True)
    sub.add_parser("prepare", help="materialise datasets and write manifests/<dataset>.json")
    t = sub.add_parser("train", help="train one run of the matrix (or mark it data missing)")
    t.add_argument("scenario")
    t.add_argument("algorithm")
    t.add_argument("seed", type=int)
    t.add_argument("--sparsity", type=float, default=None, help="default: the scenario's (params.yaml)")
    t.add_argument("--out", required=True, help="the run folder")
    e = sub.add_parser("evaluate", help="evaluate one run on one suite (or mark it data missing)")
    e.add_argument("run_dir")
    e.add_argument("suite")
    e.add_argument("--from", dest="from_dir", default="")
    pr = sub.add_parser("profile", help="make a profile (full, smoke) the active settings in params.yaml")
    pr.add_argument("name")
    return p


def run(args) -> int:
    return {"prepare": prepare, "train": train, "evaluate": evaluate, "profile": profile}[args.stage](args)


# --- prepare ------------------------------------------------------------------------------------------

def _fingerprint(path: Path) -> str:
    """Content hash of a file; file count and total size of a folder (hashing ImageNet would take hours)."""
    if path.is_file():
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                h.update(chunk)
        return "sha256:" + h.hexdigest()
    files = sizes = 0
    for root, _, names in os.walk(path):
        files += len(names)
        sizes += sum(os.path.getsize(os.path.join(root, n)) for n in names)
    return f"files:{files},bytes:{sizes}"


def prepare(args) -> int:
    from dscr.config import DscrError
    from dscr.engine.io import write_json_atomic
    from tasks.classification.datasets import ARCHIVES, materialise

    params = load_params()
    for name in params["datasets"]:
        if name in ARCHIVES:
            try:
                materialise(name, "data")
            except DscrError as exc:  # no mirror and no internet: the scenario is reported as data missing
                print(f"{name}: {exc}")
    for name, marker in params["datasets"].items():
        path = Path(marker)
        manifest = {"dataset": name, "path": marker, "present": path.exists()}
        if path.exists():
            manifest["fingerprint"] = _fingerprint(path)
        write_json_atomic(Path("manifests") / f"{name}.json", manifest)
        print(f"{name}: {'present' if path.exists() else MISSING} ({marker})")
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
    from dscr.engine.io import write_json_atomic, write_text_atomic

    write_text_atomic(run_dir / "checkpoints" / "DATA_MISSING", json.dumps(what) + "\n")
    write_json_atomic(run_dir / "metrics.json", {"status": MISSING, **what})
    write_text_atomic(run_dir / "config.yaml", f"# {MISSING}: {json.dumps(what)}\n")


def train(args) -> int:
    from dscr.config import DscrError

    params = load_params()
    scenario = params["scenarios"].get(args.scenario)
    if scenario is None:
        raise DscrError(f"unknown scenario '{args.scenario}'; allowed: {', '.join(params['scenarios'])}")
    run_dir = Path(args.out)
    sparsity = scenario["sparsity"] if args.sparsity is None else args.sparsity
    what = {"scenario": args.scenario, "algorithm": args.algorithm, "sparsity": sparsity, "seed": args.seed,
            "dataset": scenario["dataset"], "profile": params["profile"]}
    if not dataset_present(params, scenario["dataset"]):
        mark_missing(run_dir, what)
        print(f"{args.scenario}: {MISSING} ({params['datasets'][scenario['dataset']]}); marked {run_dir}")
        return 0
    (run_dir / "checkpoints" / "DATA_MISSING").unlink(missing_ok=True)
    overrides = list(params["train_overrides"].get(scenario["task"], [])) + [
        f"dst.algorithm={args.algorithm}", f"dst.sparsity={sparsity}", f"seed={args.seed}",
        f"name={run_dir.name}", f"out_dir={run_dir.parent}", "resume=true"]
    if scenario["task"] == "classification":
        from dscr.config import load_config
        from tasks.classification import train as task
        from tasks.classification.config import TrainConfig

        task.main(load_config(TrainConfig, scenario["config"], overrides))
    else:
        from tasks.video import pipeline as video

        video.train(scenario["config"], overrides)
    return 0


# --- evaluate -------------------------------------------------------------------------------------------

def evaluate(args) -> int:
    from dscr.engine.io import write_json_atomic

    params = load_params()
    run_dir = Path(args.run_dir)
    out = run_dir / "robustness" / f"{args.suite}.json"
    missing = (run_dir / "checkpoints" / "DATA_MISSING").is_file() or (args.from_dir and not Path(args.from_dir).exists())
    if missing:
        write_json_atomic(out, {"status": MISSING, "suite": args.suite, "run": str(run_dir)})
        print(f"{run_dir}: {args.suite} {MISSING}")
        return 0
    limit = int(params["evaluate"].get("limit", 0))
    if args.suite == "ucf101-c":
        from tasks.video import pipeline as video

        video.evaluate(run_dir, args.suite, limit=limit)
        return 0
    from tasks.classification.evaluate import evaluate_runs

    result = evaluate_runs([run_dir], args.suite, limit=limit, from_dir=args.from_dir or None,
                           seed=int(params["evaluate"].get("seed", 0)), prefer_published=True)[str(run_dir)]
    print(f"{run_dir}: {args.suite} clean {result['clean_accuracy']:.2f}%  robustness "
          f"{result['robustness_accuracy']:.2f}% ({result.get('source', 'test set')})")
    return 0


# --- profile --------------------------------------------------------------------------------------------

def profile(args) -> int:
    """Rewrite the active keys of params.yaml from `profiles.<name>`, keeping the file's comments and order."""
    from dscr.config import DscrError
    from dscr.engine.io import write_text_atomic

    params = load_params()
    if args.name not in params["profiles"]:
        raise DscrError(f"unknown profile '{args.name}'; allowed: {', '.join(params['profiles'])}")
    chosen = {"profile": args.name, **params["profiles"][args.name]}
    out, skip = [], False
    for line in PARAMS.read_text().splitlines():
        if skip and line.startswith((" ", "-")):  # the rest of a replaced block value
            continue
        skip = False
        key = line.split(":", 1)[0]
        if not line.startswith((" ", "#")) and key in chosen:
            out.append(f"{key}: {json.dumps(chosen[key])}")  # JSON is YAML: one line per active key
            skip = True
        else:
            out.append(line)
    write_text_atomic(PARAMS, "\n".join(out) + "\n")
    print(f"params.yaml: profile {args.name} active")
    return 0
