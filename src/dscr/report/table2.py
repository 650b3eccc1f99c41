"""Table 2: robustness accuracy of Dense vs DST per scenario x suite, mean ± std over seeds."""

from __future__ import annotations

import textwrap
from pathlib import Path

from dscr.engine.io import write_json_atomic

from .paper import DISPLAY, TABLE2
from .tables import MISSING, NOT_TRAINED, fmt, mean_std, measured, read_result, save_figure, write_table


def collect(runs_root: Path, scenario: str, suite: str, algorithm: str, tag: str = "") -> list[dict]:
    """Result files of every seed of one cell (run folders `<algorithm><tag>-seed<N>`)."""
    results = []
    for run in sorted((runs_root / scenario).glob(f"{algorithm}{tag}-seed*")):
        r = read_result(run, suite)
        if r is not None:
            results.append(r)
    return results


def build(runs_root: str | Path, rows: list[dict], algorithms: list[str], absent: frozenset[str] = frozenset()
          ) -> list[dict]:
    """One record per (scenario, suite) row: per algorithm mean/std of clean and robustness accuracy.

    Args:
        absent: scenarios whose dataset is not on this machine (their empty cells say "data missing"; other
            empty cells say "not trained yet").
    """
    runs_root = Path(runs_root)
    table = []
    for row in rows:
        record = {"scenario": row["scenario"], "suite": row["suite"], "cells": {}, "sources": set()}
        for algo in algorithms:
            results, why = measured(collect(runs_root, row["scenario"], row["suite"], algo),
                                    row["scenario"] in absent)
            record["sources"].update(r["source"] for r in results if r.get("source"))
            record["cells"][algo] = {
                "n": len(results),
                "robustness": mean_std([r["robustness_accuracy"] for r in results]),
                "clean": mean_std([r["clean_accuracy"] for r in results]),
                "sparsity": results[0].get("sparsity") if results else None,
                "seeds": [r.get("seed_run") for r in results],
                "why": why,
            }
        if any(c["why"] == MISSING for c in record["cells"].values()):  # the data is missing for the whole row
            for c in record["cells"].values():
                c["why"] = MISSING
        record["paper"] = TABLE2.get((row["scenario"], row["suite"]), {})
        record["sources"] = sorted(record["sources"])
        table.append(record)
    return table


def render(table: list[dict], algorithms: list[str], out_dir: str | Path, *, stem: str = "table2",
           title: str = "Table 2: robustness accuracy (%)", notes: list[str] | None = None) -> list[Path]:
    """Write `<stem>.{md,csv,json,png}`: best mean per row in bold, the paper's number and our gap beside, and
    where each row's corrupted images came from (published files, a `dscr corrupt` folder, or on the fly)."""
    out_dir = Path(out_dir)
    columns = ["scenario", "suite", "sparsity"] + [DISPLAY.get(a, a) for a in algorithms] + ["corrupted images"]
    rows = []
    for rec in table:
        means = {a: c["robustness"][0] for a, c in rec["cells"].items() if c["robustness"]}
        best = max(means, key=means.get) if len(means) > 1 else None
        sparsities = {c["sparsity"] for c in rec["cells"].values() if c["sparsity"]}
        row = {"scenario": rec["scenario"], "suite": rec["suite"],
               "sparsity": ", ".join(f"{s:g}" for s in sorted(sparsities)) or "-"}
        for algo in algorithms:
            cell = rec["cells"][algo]
            text = fmt(cell["robustness"], empty=cell["why"])
            if algo == best:
                text = f"**{text}**"
            if algo in rec["paper"] and cell["robustness"]:
                text += f" (paper {rec['paper'][algo]:.2f}, Δ {cell['robustness'][0] - rec['paper'][algo]:+.2f})"
            elif algo in rec["paper"]:
                text += f" (paper {rec['paper'][algo]:.2f})"
            row[DISPLAY.get(algo, algo)] = text
        row["corrupted images"] = "; ".join(rec.get("sources", [])) or "-"
        if "best_dst" in rec["paper"]:
            row["suite"] += f" (paper best DST {rec['paper']['best_dst']:.2f})"
        rows.append(row)
    paths = write_table(out_dir / stem, columns, rows, title=title, notes=notes, data=table)
    paths.append(plot(table, algorithms, out_dir / f"{stem}.png", title))
    paths.append(write_json_atomic(out_dir / f"{stem}_summary.json", summary(table)))
    return paths


def summary(table: list[dict]) -> dict:
    """The measured cells as flat numbers (DVC's metrics file: `dvc metrics show`, `dvc exp show`)."""
    out: dict = {}
    for rec in table:
        cells = {algo: {"robustness": c["robustness"][0], "robustness_std": c["robustness"][1],
                        "clean": c["clean"][0], "seeds": c["n"]}
                 for algo, c in rec["cells"].items() if c["robustness"]}
        if cells:
            out[f"{rec['scenario']}/{rec['suite']}"] = cells
    return out


def plot(table: list[dict], algorithms: list[str], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(table)), 4))
    width = 0.8 / len(algorithms)
    for i, algo in enumerate(algorithms):
        xs, ys, es = [], [], []
        for j, rec in enumerate(table):
            stat = rec["cells"][algo]["robustness"]
            if stat:
                xs.append(j + i * width), ys.append(stat[0]), es.append(stat[1])
        ax.bar(xs, ys, width, yerr=es, label=DISPLAY.get(algo, algo), capsize=2)
        paper = [(j + i * width, rec["paper"][algo]) for j, rec in enumerate(table) if algo in rec["paper"]]
        if paper:
            ax.scatter(*zip(*paper), marker="x", color="black", zorder=3,
                       label="paper" if i == 0 else None)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(table))])
    ax.set_xticklabels([f"{r['scenario']}\n{r['suite']}" for r in table], fontsize=7, rotation=30, ha="right")
    ax.set_ylabel("robustness accuracy (%)")
    ax.set_title(title, fontsize=9)
    empty: dict[str, list[str]] = {}
    for r in table:
        if not any(c["n"] for c in r["cells"].values()):
            why = MISSING if any(c["why"] == MISSING for c in r["cells"].values()) else NOT_TRAINED
            empty.setdefault(why, []).append(f"{r['scenario']}/{r['suite']}")
    if empty:
        text = "\n".join(line for why, names in empty.items()
                         for line in textwrap.wrap(f"{why}: " + ", ".join(names), 110))
        ax.text(0.01, 0.98, text, transform=ax.transAxes, fontsize=6, va="top")
    ax.legend(fontsize=7, ncol=3)
    path = save_figure(fig, path)
    plt.close(fig)
    return path
