"""The dvclive log of a training run: one row per finished epoch, also after a resume.

dvclive's own resume continues from the step in its metrics.json, which goes wrong in two ways: a log
holding only step 0 resumes at step 0 again (step 0 appears twice), and epochs logged after the last
checkpoint (a run killed between logging and saving) are logged a second time when the run redoes them. So
a run always starts a fresh log and replays the history its checkpoint holds, then appends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dscr.config import DscrError

from .io import disk_full

NOT_METRICS = ("epoch", "step")  # counters of the record, not curves


def open_live(path: Path, history: list[dict[str, Any]]):
    """A dvclive logger at `path` holding one row per record of `history` (the epochs already trained), or
    None where dvclive cannot start (it fails in a git repository without commits, raising an error it does
    not catch itself); the run's metrics.json holds the same history either way."""
    from dvclive import Live

    try:
        live = Live(str(path), resume=False, save_dvc_exp=False, dvcyaml=None)
    except Exception as exc:  # noqa: BLE001  scmrepo's SCMError and relatives: not importable without dvc internals
        print(f"dvclive disabled ({exc.__class__.__name__}: {exc}); metrics.json keeps the history")
        return None
    for record in history:
        log_epoch(live, record, path)
    return live


def log_epoch(live, record: dict[str, Any], path: Path) -> None:
    """Append one epoch's record (every key but the counters) as the next step; no-op without a logger."""
    if live is None:
        return
    try:
        for key, value in record.items():
            if key not in NOT_METRICS:
                live.log_metric(key, value)
        live.next_step()
    except OSError as exc:
        if disk_full(exc, path):
            raise DscrError(f"no space left on device: could not write the dvclive log {path}") from None
        raise
