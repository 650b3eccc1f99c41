"""Write one table three ways (Markdown, CSV, JSON) next to its plot; statistics over seeds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from statistics import mean, stdev
from typing import Any

from dscr.engine.io import write_text_atomic

MISSING = "data missing"          # the dataset is not on this machine
NOT_TRAINED = "not trained yet"   # the dataset is, but no run has a result yet


def mean_std(values: list[float]) -> tuple[float, float] | None:
    if not values:
        return None
    return mean(values), (stdev(values) if len(values) > 1 else 0.0)


def fmt(stat: tuple[float, float] | None, n: int = 0, empty: str = MISSING) -> str:
    """`mean ± std`, or `empty` (why there is no number) when there is none."""
    if stat is None:
        return empty
    return f"{stat[0]:.2f} ± {stat[1]:.2f}" + (f" (n={n})" if n else "")


def measured(results: list[dict], data_absent: bool = False) -> tuple[list[dict], str]:
    """A cell's measured results, and what the cell says when there are none: "data missing" when the
    dataset is absent (`data_absent`, or the pipeline marked the runs so), "not trained yet" otherwise."""
    done = [r for r in results if r.get("status") != MISSING]
    return done, MISSING if data_absent or len(done) < len(results) else NOT_TRAINED


def write_table(stem: str | Path, columns: list[str], rows: list[dict[str, Any]], *, title: str = "",
                notes: list[str] | None = None, data: Any = None) -> list[Path]:
    """Write `<stem>.md`, `<stem>.csv` and `<stem>.json`; returns the paths.

    Args:
        columns: the keys of each row to show, in order.
        rows: one dict per row (values already formatted for md/csv).
        data: what the JSON holds (default: the rows).
    """
    stem = Path(stem)
    md = [f"# {title}", ""] if title else []
    md += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    md += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    md += [""] + [f"- {n}" for n in (notes or [])]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    paths = [write_text_atomic(stem.with_suffix(".md"), "\n".join(md) + "\n"),
             write_text_atomic(stem.with_suffix(".csv"), buf.getvalue()),
             write_text_atomic(stem.with_suffix(".json"), json.dumps(data if data is not None else rows, indent=2,
                                                                      default=float) + "\n")]
    return paths


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def read_result(run_dir: str | Path, suite: str) -> dict | None:
    """A run's complete result on `suite`, or its "data missing" marker; None otherwise (absent, or a partial
    evaluation: see `dscr.results`)."""
    from dscr.results import result_path

    record = read_json(result_path(run_dir, suite))
    if isinstance(record, dict) and (record.get("complete") is True or record.get("status") == MISSING):
        return record
    return None


def save_figure(fig, path: str | Path) -> Path:
    from dscr.engine.io import write_atomic

    return write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight"))
