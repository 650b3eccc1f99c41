"""Where a robustness result is written, and which results a report may read.

An evaluation of the whole suite (every corruption and severity) on the run's whole test set is written to
`RUN_DIR/robustness/<suite>.json` and marked `"complete": true`. A partial one (the first N test images, or a
subset of the corruptions or severities) is written under a name that says what it covers, such as
`cifar10-c.limit500.json` or `cifar10-c.only-fog+snow.sev-1+5.json`, and marked `"complete": false`, so it can
never replace the complete result. Reports read only complete results (`read_complete`).

Shared by the evaluators and the reports, so it imports nothing heavier than json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def partial_scope(*, limit: int = 0, corruptions: list[str] | None = None, all_corruptions: list[str] | None = None,
                  severities: list[int] | None = None, all_severities: list[int] | None = None) -> dict[str, Any]:
    """What a partial evaluation leaves out: {} for a complete one."""
    scope: dict[str, Any] = {}
    if limit:
        scope["limit"] = int(limit)
    if corruptions is not None and list(corruptions) != list(all_corruptions or corruptions):
        scope["corruptions"] = list(corruptions)
    if severities is not None and list(severities) != list(all_severities or severities):
        scope["severities"] = [int(s) for s in severities]
    return scope


def result_path(run_dir: str | Path, suite: str, scope: dict[str, Any] | None = None) -> Path:
    """`RUN_DIR/robustness/<suite>.json`, or a name that says what a partial evaluation covers."""
    parts = [suite]
    scope = scope or {}
    if "limit" in scope:
        parts.append(f"limit{scope['limit']}")
    if "corruptions" in scope:
        parts.append("only-" + "+".join(scope["corruptions"]))
    if "severities" in scope:
        parts.append("sev-" + "+".join(str(s) for s in scope["severities"]))
    return Path(run_dir) / "robustness" / (".".join(parts) + ".json")


def mark_scope(record: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
    """Record in the result whether it is complete and, if not, what it covers."""
    record["complete"] = not scope
    if scope:
        record["partial"] = scope
    else:
        record.pop("partial", None)
    return record


def read_complete(run_dir: str | Path, suite: str) -> dict[str, Any] | None:
    """The run's complete result on `suite` (None when there is none, or the file is not a complete one)."""
    path = result_path(run_dir, suite)
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("complete") is True else None
