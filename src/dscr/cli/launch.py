"""`dscr launch TARGET... --address RAY_ADDRESS`: reproduce report stages with their training and evaluation
fanned out over a Ray cluster (`make reproduce-table2 ENGINE=ray RAY_ADDRESS=...`).

Every train and evaluate stage the targets need runs as a Ray task in its own workspace at this commit (see
`dscr.fanout`); when all are done, this machine's `dvc repro --pull TARGET` restores them from the DVC remote's
run cache and writes the report. Needs a committed work tree and a DVC remote every node reaches.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path


def add_parser(subparsers):
    p = subparsers.add_parser("launch", help="reproduce report stages on a Ray cluster (train/evaluate as Ray tasks)",
                              description=__doc__)
    p.add_argument("targets", nargs="+", metavar="TARGET", help="report stages, e.g. report_table2@full")
    p.add_argument("--address", default="auto", help="the Ray cluster (default: auto, the one `ray start` made)")
    p.add_argument("--repo", default=None, help="what nodes clone (default: this repository's path; on a cluster "
                   "without a shared disk, a git URL that holds this commit)")
    p.add_argument("--data", default=None, help="the data folder every node reads (default: ./data, resolved)")
    p.add_argument("--resume-dir", default=None, help="checkpoints of unfinished runs, a folder every node reads "
                   "and writes (default: $DSCR_RESUME_DIR or ./.dscr/resume, resolved)")
    p.add_argument("--scratch", default="/tmp/dscr-launch", help="where nodes make the stages' workspaces")
    p.add_argument("--remote", default="", help="a DVC remote URL (default: the repository's default remote)")
    p.add_argument("--gpus-per-run", type=float, default=None,
                   help="GPUs of each single-GPU run (a fraction lets several share a GPU); default 1")
    p.add_argument("--cpus-per-run", type=float, default=1.0)
    p.add_argument("--cpu", action="store_true", help="ask for no GPUs (a CPU cluster)")
    p.add_argument("--max-retries", type=int, default=3, help="retries of a task whose node was lost")
    return p


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()


def checked_commit() -> str:
    """HEAD, when the tracked files are committed (tasks run the commit, so must the driver)."""
    from dscr.config import DscrError

    try:
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        commit = _git("rev-parse", "HEAD")
    except (subprocess.CalledProcessError, OSError):
        raise DscrError("dscr launch runs a git commit: run it in the repository's root, with git") from None
    if dirty:
        raise DscrError(f"commit your changes first: the tasks run commit {commit[:10]}, not the work tree "
                        f"({len(dirty.splitlines())} changed files)")
    return commit


def run(args) -> int:
    from dscr.cli.pipeline import load_params, resume_root
    from dscr.config import DscrError
    from dscr.fanout.driver import finish, run_tasks
    from dscr.fanout.plan import plan
    from dscr.fanout.workspace import Checkout, dvc_command

    def elapsed() -> str:
        return f"{time.perf_counter() - start:.0f} s"

    start = time.perf_counter()
    if args.max_retries < 0 or args.cpus_per_run <= 0 or (args.gpus_per_run is not None and args.gpus_per_run < 0):
        raise DscrError("--max-retries and --gpus-per-run must be >= 0, --cpus-per-run > 0")
    commit = checked_commit()
    if not args.remote and not subprocess.run([dvc_command(), "remote", "default"],
                                              capture_output=True, text=True).stdout.strip():
        raise DscrError("no DVC remote: results travel through one (`dvc remote add -d NAME URL`, or --remote URL)")
    data = Path(args.data or "data").resolve()
    if not data.is_dir():
        raise DscrError(f"data folder not found: {data} (`dscr data cifar10`, or --data DIR)")
    resume = (Path(args.resume_dir) if args.resume_dir else resume_root()).resolve()
    checkout = Checkout(repo=args.repo or str(Path.cwd()), commit=commit, data=str(data), resume_dir=str(resume),
                        scratch=args.scratch, remote=args.remote)
    tasks = plan(args.targets, load_params(), gpus_per_run=args.gpus_per_run, cpus_per_run=args.cpus_per_run,
                 use_gpus=not args.cpu)
    print(f"launch: {len(tasks)} train/evaluate stages of {', '.join(args.targets)} at {commit[:10]} on "
          f"{args.address}", flush=True)
    outcome = run_tasks(tasks, checkout, address=args.address, max_retries=args.max_retries)
    nodes = len({r["node"] for r in outcome.done.values()})
    summary = (f"{len(outcome.done)}/{len(tasks)} stages on {nodes} nodes, {outcome.retried} retried, "
               f"{len(outcome.failed)} failed")
    if outcome.failed:
        print("\n".join(f"  {stage}: {why}" for stage, why in sorted(outcome.failed.items())))
        raise DscrError(f"{summary} in {elapsed()}; logs: runs/<profile>/logs/")
    code, log = finish(args.targets)
    if code:
        print(log[-3000:])
        raise DscrError(f"{summary}; the final dvc repro failed (exit {code})")
    ran = sorted(set(re.findall(r"Running stage '([^']+)'", log)) - {"prepare"})
    print(f"launch: {summary}; the driver restored them and ran {', '.join(ran) or 'nothing else'} "
          f"in {elapsed()}")
    return 0
