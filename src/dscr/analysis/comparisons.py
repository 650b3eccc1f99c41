"""Tables that compare groups of runs from their result files: Mixup (Table 9), out-of-distribution
(Tables 10-11), Fashion-MNIST-C (Table 8) and cost vs robustness (figure 9).

A group's runs live in one folder, named `<algorithm>[-s<sparsity>][-<variant>]-seed<N>` (variant: e.g. `mixup`,
`csti`, `bsw`); each holds `robustness/<suite>.json` (written by `dscr evaluate` / `dscr pipeline evaluate`).
Cells with no measured run say "data missing"; the paper's number is printed beside ours, never in its place.
"""

from __future__ import annotations

import re
from pathlib import Path

from dscr.report.paper import DISPLAY, cite
from dscr.report.tables import MISSING, fmt, mean_std, read_result, save_figure, write_table

RUN_NAME = re.compile(r"^(?P<algorithm>[a-z0-9_]+?)(?:-s(?P<sparsity>[0-9.]+))?(?:-(?P<variant>[a-z0-9_.]+))?"
                      r"-seed(?P<seed>\d+)$")


def run_name(algorithm: str, sparsity: float | None, seed: int, variant: str = "") -> str:
    """The folder name of one run of a group (dense runs carry no sparsity)."""
    parts = [algorithm] + ([f"s{sparsity:g}"] if algorithm != "dense" and sparsity is not None else [])
    return "-".join(parts + ([variant] if variant else []) + [f"seed{seed}"])


def collect(runs_root: str | Path, suite: str) -> list[dict]:
    """One record per run folder of a group: its name's fields and the suite's result (None if not measured)."""
    records = []
    for run in sorted(Path(runs_root).glob("*-seed*")):
        match = RUN_NAME.match(run.name)
        if not match or not run.is_dir():
            continue
        result = read_result(run, suite)
        measured = result is not None and result.get("status") != MISSING
        records.append({"run": str(run), "algorithm": match["algorithm"],
                        "sparsity": float(match["sparsity"]) if match["sparsity"] else 0.0,
                        "variant": match["variant"] or "", "seed": int(match["seed"]),
                        "robustness": result["robustness_accuracy"] if measured else None,
                        "clean": result.get("clean_accuracy") if measured else None})
    return records


def cell(records: list[dict], key: str = "robustness", **match) -> tuple[float, float] | None:
    """Mean ± std over seeds of `key` among the records whose fields equal `match`."""
    values = [r[key] for r in records if r[key] is not None and all(r[k] == v for k, v in match.items())]
    return mean_std(values)


def _with_paper(stat, paper) -> str:
    text = fmt(stat)
    if paper is None:
        return text
    value = paper[0] if isinstance(paper, tuple) else paper
    paper_text = fmt(paper) if isinstance(paper, tuple) else f"{paper:.2f}"
    return text + (f" (paper {paper_text}, Δ {stat[0] - value:+.2f})" if stat else f" (paper {paper_text})")


def mixup_table(records: list[dict], out_dir: str | Path, notes: list[str]) -> list[Path]:
    """Table 9: Dense vs SET robustness accuracy, without and with Mixup (variant `mixup`)."""
    from dscr.report.paper_analyses import TABLE9

    rows, data = [], []
    for variant, key, label in (("", "no_mixup", "×"), ("mixup", "mixup", "✓")):
        row = {"w/ mixup": label}
        for algo in ("dense", "set"):
            stat = cell(records, algorithm=algo, variant=variant)
            row[DISPLAY[algo]] = _with_paper(stat, TABLE9[key][algo])
            data.append({"mixup": bool(variant), "algorithm": algo, "robustness": stat, "paper": TABLE9[key][algo]})
        rows.append(row)
    paths = write_table(Path(out_dir) / "mixup", ["w/ mixup", "Dense", "SET"], rows, data=data,
                        title="Table 9: robustness accuracy (%) with and without Mixup",
                        notes=notes + [cite("table9")])
    paths.append(_bars(data, lambda d: f"{DISPLAY[d['algorithm']]}{' + mixup' if d['mixup'] else ''}",
                       Path(out_dir) / "mixup.png", "Table 9: robustness accuracy (%)"))
    return paths


def fmnist_table(records: list[dict], out_dir: str | Path, notes: list[str]) -> list[Path]:
    """Table 8: MLP on Fashion-MNIST-C, Dense vs SET, RigL, CHTs+CSTI, CHTs+BSW at 97 % and 95 % sparsity."""
    from dscr.report.paper_analyses import TABLE8, TABLE8_DENSE

    columns = {"set": ("set", ""), "rigl": ("rigl", ""), "chts_csti": ("chts", "csti"), "chts_bsw": ("chts", "bsw")}
    titles = {"set": "SET", "rigl": "RigL", "chts_csti": "CHTs+CSTI", "chts_bsw": "CHTs+BSW"}
    dense = cell(records, algorithm="dense")
    rows, data = [], [{"algorithm": "dense", "sparsity": 0.0, "robustness": dense, "paper": TABLE8_DENSE}]
    for sparsity, paper in TABLE8.items():
        row = {"Dense": _with_paper(dense, TABLE8_DENSE), "sparsity": f"{100 * sparsity:g} %"}
        for key, (algo, variant) in columns.items():
            stat = cell(records, algorithm=algo, variant=variant, sparsity=sparsity)
            row[titles[key]] = _with_paper(stat, paper[key])
            data.append({"algorithm": key, "sparsity": sparsity, "robustness": stat, "paper": paper[key]})
        rows.append(row)
    paths = write_table(Path(out_dir) / "fmnist", ["Dense", "sparsity", *titles.values()], rows, data=data,
                        title="Table 8: robustness accuracy (%) of an MLP on Fashion-MNIST-C",
                        notes=notes + [cite("table8")])
    paths.append(_bars(data, lambda d: f"{titles.get(d['algorithm'], 'Dense')} {100 * d['sparsity']:g}%",
                       Path(out_dir) / "fmnist.png", "Table 8: Fashion-MNIST-C robustness accuracy (%)"))
    return paths


def ood_table(results: dict[str, list[dict]], algorithms: list[str], out_dir: str | Path,
              notes: list[str]) -> list[Path]:
    """Tables 10-11: accuracy on ImageNet-R and the three ImageNet-v2 subsets (and their average).

    Args:
        results: suite name -> `collect(runs_root, suite)` records of that suite.
        algorithms: the columns.
    """
    from dscr.report.paper_analyses import TABLE10, TABLE11

    paper = {**TABLE10, **TABLE11}
    v2 = [s for s in TABLE11 if s != "average"]
    stats = {suite: {a: cell(results.get(suite, []), algorithm=a) for a in algorithms} for suite in (*TABLE10, *v2)}
    stats["average"] = {a: (sum(stats[s][a][0] for s in v2) / len(v2), 0.0)
                        if all(stats[s][a] for s in v2) else None for a in algorithms}
    rows = [{"test set": suite, **{DISPLAY.get(a, a): _with_paper(stats[suite][a], paper[suite].get(a))
                                   for a in algorithms}} for suite in stats]
    data = [{"suite": s, "algorithm": a, "accuracy": stats[s][a], "paper": paper[s].get(a)}
            for s in stats for a in algorithms]
    paths = write_table(Path(out_dir) / "ood", ["test set"] + [DISPLAY.get(a, a) for a in algorithms], rows,
                        data=data, title="Tables 10-11: accuracy (%) on ImageNet-R and ImageNet-v2",
                        notes=notes + [cite("tables10-11")])
    paths.append(_bars(data, lambda d: f"{d['suite']}\n{DISPLAY.get(d['algorithm'], d['algorithm'])}",
                       Path(out_dir) / "ood.png", "Tables 10-11: OOD accuracy (%)", value="accuracy"))
    return paths


def cost_table(records: list[dict], out_dir: str | Path, notes: list[str]) -> list[Path]:
    """Figure 9: estimated cost (training and inference FLOPs, parameters) and measured cost (training wall time,
    peak memory) against robustness accuracy, one point per algorithm x sparsity.

    Args:
        records: `collect` records with `dscr.cli.flops.count_run`'s keys added (estimates and measurements).
    """
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["algorithm"], r["sparsity"]), []).append(r)
    points = []
    for (algo, sparsity), rs in sorted(groups.items()):
        points.append({"algorithm": algo, "sparsity": sparsity, "training_flops": rs[0]["training_flops"],
                       "inference_flops": rs[0]["inference_flops"], "params": rs[0]["params"],
                       "wall_time_s": cell(rs, key="wall_time_s"), "peak_memory_mib": mean_std(
                           [r["peak_memory_bytes"] / 2**20 for r in rs if r.get("peak_memory_bytes") is not None]),
                       "robustness": cell(rs), "clean": cell(rs, key="clean")})
    rows = [{"algorithm": DISPLAY.get(p["algorithm"], p["algorithm"]), "sparsity": f"{p['sparsity']:g}",
             "training FLOPs": f"{p['training_flops']:.3e}", "inference FLOPs": f"{p['inference_flops']:.3e}",
             "params": f"{p['params'] / 1e6:.4f} M", "wall time (s, measured)": _measured(p["wall_time_s"]),
             "peak memory (MiB, measured)": _measured(p["peak_memory_mib"], "{:.0f}"),
             "clean": fmt(p["clean"]), "robustness": fmt(p["robustness"])} for p in points]
    paths = write_table(Path(out_dir) / "cost", list(rows[0]) if rows else ["algorithm"], rows, data=points,
                        title="Figure 9: estimated and measured training cost, and robustness accuracy (%)",
                        notes=notes)
    paths.append(_cost_figure(points, Path(out_dir) / "cost.png"))
    return paths


def _measured(stat: tuple[float, float] | None, form: str = "{:.1f}") -> str:
    if stat is None:
        return "not measured"
    return form.format(stat[0]) + (" ± " + form.format(stat[1]) if stat[1] else "")


def _center(point: dict, key: str) -> float:
    """A point's value, or the mean of a (mean, std) one."""
    return point[key][0] if isinstance(point[key], tuple) else point[key]


def _cost_figure(points: list[dict], path: Path) -> Path:
    """Two panels sharing the robustness axis: estimated training FLOPs (circle area = parameters) and the
    measured training wall time (circle area = peak memory)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    panels = ((axes[0], "training_flops", "params", "training FLOPs (estimate)", "circle area = parameters"),
              (axes[1], "wall_time_s", "peak_memory_mib", "training wall time (s, measured)",
               "circle area = peak memory"))
    for ax, x_key, size_key, xlabel, title in panels:
        usable = [p for p in points if p["robustness"] and p[x_key] and p[size_key]]
        top = max((_center(p, size_key) for p in usable), default=1.0)
        for algo in dict.fromkeys(p["algorithm"] for p in usable):
            mine = [p for p in usable if p["algorithm"] == algo]
            ax.scatter([_center(p, x_key) for p in mine], [p["robustness"][0] for p in mine],
                       s=[600 * _center(p, size_key) / top for p in mine], alpha=0.5, label=DISPLAY.get(algo, algo))
            for p in mine:
                ax.annotate(f"{p['sparsity']:g}", (_center(p, x_key), p["robustness"][0]), fontsize=6)
        if not usable:
            ax.text(0.5, 0.5, MISSING if x_key == "training_flops" else "not measured", ha="center",
                    transform=ax.transAxes)
        else:
            ax.legend(fontsize=7, markerscale=0.4)
        xs = [_center(p, x_key) for p in usable]
        if xs and max(xs) > 10 * min(xs):  # log only where the points span orders of magnitude
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(f"Figure 9: {title}; label = sparsity", fontsize=9)
    axes[0].set_ylabel("robustness accuracy (%)")
    saved = save_figure(fig, path)
    plt.close(fig)
    return saved


def _bars(data: list[dict], label, path: Path, title: str, value: str = "robustness") -> Path:
    """Ours as bars, the paper's number as a black cross; 'data missing' bars are left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(data)), 3.6))
    for i, d in enumerate(data):
        if d[value]:
            ax.bar(i, d[value][0], yerr=d[value][1], color="tab:blue", capsize=2, label="ours" if i == 0 else None)
        paper = d["paper"][0] if isinstance(d["paper"], tuple) else d["paper"]
        if paper is not None:
            ax.scatter([i], [paper], marker="x", color="black", zorder=3)
    ax.set_xticks(range(len(data)))
    ax.set_xticklabels([label(d) for d in data], rotation=45, ha="right", fontsize=6)
    ax.set_ylabel("accuracy (%)")
    missing = sum(1 for d in data if not d[value])
    ax.set_title(title + (f"  ({missing} cells: {MISSING}; x: paper)" if missing else "  (x: paper)"), fontsize=8)
    path = save_figure(fig, path)
    plt.close(fig)
    return path
