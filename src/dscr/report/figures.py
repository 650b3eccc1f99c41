"""Figure 2 (robustness accuracy vs sparsity) and Figures 10-15 (relative gain per corruption x severity).

Both read the sparsity-sweep runs `runs/<profile>/figure2/<scenario>/<algorithm>-s<sparsity>-seed<N>/` and the
dense runs beside them (`dense-seed<N>`), and write a table (md, csv, json) with a PNG next to it.
"""

from __future__ import annotations

from pathlib import Path
from statistics import mean

from .paper import DISPLAY
from .table2 import collect
from .tables import MISSING, NOT_TRAINED, fmt, mean_std, measured, save_figure, write_table


def sweep_table(runs_root: Path, rows: list[dict], algorithms: list[str], sparsities: list[float],
                absent: frozenset[str] = frozenset()) -> list[dict]:
    """Per row: the dense mean ± std, each algorithm's curve over sparsity, and what empty cells say."""
    table = []
    for row in rows:
        data_absent = row["scenario"] in absent
        dense, why = measured(collect(runs_root, row["scenario"], row["suite"], "dense"), data_absent)
        entry = {"scenario": row["scenario"], "suite": row["suite"],
                 "dense": mean_std([r["robustness_accuracy"] for r in dense]), "curves": {}, "why": why}
        sources = {r["source"] for r in dense if r.get("source")}
        for algo in algorithms:
            curve = {}
            for s in sparsities:
                done, why = measured(collect(runs_root, row["scenario"], row["suite"], algo, f"-s{s:g}"), data_absent)
                curve[f"{s:g}"] = mean_std([r["robustness_accuracy"] for r in done])
                entry["why"] = MISSING if MISSING in (why, entry["why"]) else NOT_TRAINED
                sources.update(r["source"] for r in done if r.get("source"))
            entry["curves"][algo] = curve
        entry["sources"] = sorted(sources)
        table.append(entry)
    return table


def figure2(runs_root: Path, params: dict, out: Path, absent: frozenset[str] = frozenset()) -> list[Path]:
    cfg = params["figure2"]
    table = sweep_table(runs_root, cfg["rows"], cfg["algorithms"], cfg["sparsities"], absent)
    rows = []
    for entry in table:
        rows.append({"scenario": entry["scenario"], "algorithm": "Dense",
                     **{f"{s:g}": fmt(entry["dense"], empty=entry["why"]) for s in cfg["sparsities"]}})
        for algo, curve in entry["curves"].items():
            rows.append({"scenario": entry["scenario"], "algorithm": DISPLAY.get(algo, algo),
                         **{s: fmt(v, empty=entry["why"]) for s, v in curve.items()}})
    columns = ["scenario", "algorithm"] + [f"{s:g}" for s in cfg["sparsities"]]
    paths = write_table(out / "figure2", columns, rows, data=table,
                        title="Figure 2: robustness accuracy (%) vs sparsity (r: random regrowth, g: gradient)",
                        notes=[f"profile {params['profile']}; mean ± std over seeds {params['figure2']['seeds']}"]
                        + [f"{e['scenario']} corrupted images: {'; '.join(e['sources']) or '-'}" for e in table])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(table), figsize=(4.2 * len(table), 3.4), squeeze=False)
    for ax, entry in zip(axes[0], table):
        xs = [float(s) for s in next(iter(entry["curves"].values()))] if entry["curves"] else []
        for algo, curve in entry["curves"].items():
            pts = [(float(s), v[0]) for s, v in curve.items() if v]
            if pts:
                ax.plot(*zip(*pts), "--" if algo.endswith("_r") or algo == "set" else "-", marker="o",
                        label=DISPLAY.get(algo, algo))
        if entry["dense"]:
            ax.axhline(entry["dense"][0], color="black", lw=1, label="Dense")
        if not any(v for c in entry["curves"].values() for v in c.values()) and not entry["dense"]:
            ax.text(0.5, 0.5, entry["why"], ha="center", transform=ax.transAxes)
        ax.set_title(f"{entry['scenario']} / {entry['suite']}", fontsize=8)
        ax.set_xlabel("sparsity")
        ax.set_xticks(xs)
        ax.set_ylabel("robustness accuracy (%)")
        ax.legend(fontsize=6)
    paths.append(save_figure(fig, out / "figure2.png"))
    plt.close(fig)
    return paths


def gains(runs_root: Path, params: dict, out: Path, sparsity: float = 0.5,
          absent: frozenset[str] = frozenset()) -> list[Path]:
    """Relative gain (Acc_sparse - Acc_dense) / Acc_dense per corruption x severity, means over seeds."""
    cfg = params["figure2"]
    data, rows = [], []

    def cell_means(results: list[dict]) -> tuple[dict[str, dict[str, float]], str]:
        results, why = measured(results, row["scenario"] in absent)
        if not results:
            return {}, why
        corr = results[0]["corruptions"]
        return {c: {s: mean(r["corruptions"][c][s] for r in results) for s in corr[c]} for c in corr}, why

    for row in cfg["rows"]:
        dense, dense_why = cell_means(collect(runs_root, row["scenario"], row["suite"], "dense"))
        for algo in cfg["algorithms"]:
            sparse, why = cell_means(collect(runs_root, row["scenario"], row["suite"], algo, f"-s{sparsity:g}"))
            gain = {c: {s: (sparse[c][s] - dense[c][s]) / dense[c][s] for s in sparse[c] if dense[c].get(s)}
                    for c in sparse if c in dense}
            data.append({"scenario": row["scenario"], "algorithm": algo, "sparsity": sparsity, "gain": gain})
            for c, per_s in gain.items():
                rows.append({"scenario": row["scenario"], "algorithm": DISPLAY.get(algo, algo), "corruption": c,
                             **{f"s{s}": f"{100 * g:+.2f} %" for s, g in per_s.items()}})
            if not gain:
                rows.append({"scenario": row["scenario"], "algorithm": DISPLAY.get(algo, algo),
                             "corruption": MISSING if MISSING in (why, dense_why) else NOT_TRAINED})
    columns = ["scenario", "algorithm", "corruption"] + [f"s{s}" for s in range(1, 6)]
    paths = write_table(out / "gains", columns, rows, data=data,
                        title=f"Figures 10-15: relative robustness gain over dense at sparsity {sparsity:g}",
                        notes=["gain = (Acc_sparse - Acc_dense) / Acc_dense, accuracies averaged over seeds first"])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    filled = [d for d in data if d["gain"]]
    fig, axes = plt.subplots(max(1, len(filled)), 1, figsize=(9, 2.6 * max(1, len(filled))), squeeze=False)
    for ax, d in zip(axes[:, 0], filled):
        names = list(d["gain"])
        grid = [[100 * d["gain"][c].get(str(s), 0.0) for c in names] for s in range(1, 6)]
        bound = max(1e-6, max(abs(v) for r in grid for v in r))
        im = ax.imshow(grid, cmap="RdBu", vmin=-bound, vmax=bound, aspect="auto")
        ax.set_yticks(range(5))
        ax.set_yticklabels([f"severity {s}" for s in range(1, 6)], fontsize=6)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=60, ha="right", fontsize=6)
        ax.set_title(f"{d['scenario']}: {DISPLAY.get(d['algorithm'], d['algorithm'])} vs Dense (%)", fontsize=8)
        fig.colorbar(im, ax=ax)
    if not filled:
        axes[0, 0].text(0.5, 0.5, "no measured pair of runs (" + ", ".join(sorted({r["corruption"] for r in rows}))
                        + ")", ha="center")
    paths.append(save_figure(fig, out / "gains.png"))
    plt.close(fig)
    return paths


def run(what: str, params: dict, out: Path, runs_root: Path, absent: frozenset[str] = frozenset()) -> int:
    if what == "figure2":
        paths = figure2(runs_root, params, out, absent)
    else:
        paths = gains(runs_root, params, out, absent=absent)
    print(f"{what}: wrote {', '.join(str(p) for p in paths)}")
    return 0
