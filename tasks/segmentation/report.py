"""Table 12 of the paper (FCN-VGG16 on Pascal VOC 2012 / VOC-C): the published numbers beside ours.

`build_table12(run_dirs)` reads each run's `robustness/voc-c.json` (written by `dscr evaluate-seg`) and returns
one row per metric; a run that is missing (not trained, not evaluated, or no VOC data in a smoke profile) is
reported as missing with the file that was looked for, never filled in.
"""

from __future__ import annotations

from pathlib import Path

from dscr.report.paper import cite
from dscr.results import read_complete, result_path

SUITE = "voc-c"

# Table 12 columns, in the paper's order: key -> heading.
METHODS = {"dense": "Dense training", "set_s0.2": "SET (s=0.2)", "set_s0.1": "SET (s=0.1)"}

# (row heading, section of voc-c.json, metric key)
METRICS = [("clean pixAcc", "clean", "pixel_accuracy"), ("clean mIoU", "clean", "miou"),
           ("robustness pixAcc", "robustness", "pixel_accuracy"), ("robustness mIoU", "robustness", "miou")]

# Wu et al., ICLR 2025, appendix A.9, Table 12 (percent).
PAPER_TABLE12 = {
    "dense": {"clean pixAcc": 85.65, "clean mIoU": 46.34, "robustness pixAcc": 76.80, "robustness mIoU": 22.60},
    "set_s0.2": {"clean pixAcc": 85.63, "clean mIoU": 46.69, "robustness pixAcc": 77.30, "robustness mIoU": 22.73},
    "set_s0.1": {"clean pixAcc": 85.66, "clean mIoU": 47.10, "robustness pixAcc": 77.39, "robustness mIoU": 23.09},
}

# The run folders the Table 12 configs train into (their `work_dir`).
DEFAULT_RUNS = {"dense": "runs/fcn_vgg16_voc_dense", "set_s0.2": "runs/fcn_vgg16_voc_set_s0.2",
                "set_s0.1": "runs/fcn_vgg16_voc_set_s0.1"}


def load_result(run_dir: str | Path | None) -> tuple[dict | None, str]:
    """A run's VOC-C record and where it was looked for (None when absent)."""
    if run_dir is None:
        return None, "no run given"
    path = result_path(run_dir, SUITE)
    if not path.is_file():
        return None, f"missing: {path}"
    record = read_complete(run_dir, SUITE)
    return (record, str(path)) if record else (None, f"not a complete evaluation: {path}")


def build_table12(run_dirs: dict[str, str | Path | None] | None = None) -> list[dict]:
    """Rows of Table 12.

    Args:
        run_dirs: method key ("dense", "set_s0.2", "set_s0.1") -> run folder; missing keys use `DEFAULT_RUNS`.

    Returns:
        One dict per metric: {"metric": heading, "<method>": {"paper": float, "ours": float | None,
        "source": json path or "missing: <path>"}} for each method in the paper's order.
    """
    run_dirs = {**DEFAULT_RUNS, **(run_dirs or {})}
    unknown = set(run_dirs) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown Table 12 methods {sorted(unknown)}; allowed: {', '.join(METHODS)}")
    results = {key: load_result(run_dirs[key]) for key in METHODS}
    rows = []
    for heading, section, metric in METRICS:
        row = {"metric": heading}
        for key in METHODS:
            record, source = results[key]
            ours = record[section][metric] if record is not None else None
            row[key] = {"paper": PAPER_TABLE12[key][heading], "ours": ours, "source": source}
        rows.append(row)
    return rows


def format_table12(rows: list[dict]) -> str:
    """Markdown table: one column pair (paper | ours) per method; missing runs show "missing"."""
    header = "| metric (%) | " + " | ".join(f"{METHODS[k]} paper | {METHODS[k]} ours" for k in METHODS) + " |"
    lines = [header, "|" + "---|" * (1 + 2 * len(METHODS))]
    for row in rows:
        cells = []
        for key in METHODS:
            ours = row[key]["ours"]
            cells += [f"{row[key]['paper']:.2f}", "missing" if ours is None else f"{ours:.2f}"]
        lines.append(f"| {row['metric']} | " + " | ".join(cells) + " |")
    return "\n".join(lines + ["", f"- {cite('table12')}"]) + "\n"
