"""`dscr analyze ...`: the paper's analyses (appendix A.5-A.10) on any trained classification runs.

    dscr analyze frequency RUN... [--during-training]   radius-accuracy curves (low/high-pass), figure 18
    dscr analyze filters RUN... [--figure 16|17]        non-zeros and sum |w| per kernel (figures 16-17)
    dscr analyze gradcam RUN... [--corruptions ...]     Grad-CAM grid on clean and corrupted images (figure 19)
    dscr analyze mixup-table --runs DIR --suite S       Table 9 (Dense vs SET, with and without Mixup)
    dscr analyze ood-table --runs DIR [--evaluate]      Tables 10-11 (ImageNet-R, ImageNet-v2)
    dscr analyze fmnist-table --runs DIR                Table 8 (MLP on Fashion-MNIST-C)
    dscr analyze cost --runs DIR --suite S              figure 9 (training FLOPs, parameters vs robustness)
    dscr analyze train GROUP                            train + evaluate a run group of params.yaml `analyses`

A RUN argument is a run folder (holding config.yaml and checkpoints/) or a folder of runs (every trained
`*-seed<--seed>` run inside). Every analysis writes its table (md, csv, json) and a PNG to --out. Defaults are
the paper's: the filter layers of figures 16-17 (VGG16 features.20/30/40, ResNet34 layer2.0.conv2,
layer2.1.conv1, layer3.3.conv2), figure 19's eight corruptions; a report on other data or models than the
paper's figure says it is a stand-in.
"""

from __future__ import annotations

import argparse
from pathlib import Path

TABLES = ["mixup-table", "ood-table", "fmnist-table", "cost"]  # analyses over the result files of a group


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register `dscr analyze` and its analyses; returns the `analyze` parser."""
    p = subparsers.add_parser("analyze", help="the paper's analyses (frequency, filters, Grad-CAM, Tables 8-11, "
                              "figure 9)", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="analysis", required=True, metavar="ANALYSIS")

    def on_runs(name: str, help_text: str) -> argparse.ArgumentParser:
        a = sub.add_parser(name, help=help_text)
        a.add_argument("runs", nargs="+", help="run folders, or folders of runs")
        a.add_argument("--seed", type=int, default=0, help="seed of the runs taken from a folder of runs")
        a.add_argument("--labels", nargs="*", help="names of the runs in the report (default: algorithm, sparsity)")
        a.add_argument("--out", default="reports", help="output folder")
        a.add_argument("--device", default="auto", help="auto, cpu, cuda")
        return a

    f = on_runs("frequency", "accuracy on low/high-pass filtered clean test images vs radius")
    f.add_argument("--limit", type=int, default=None, help="test images (0: all; default 1000, or the profile's)")
    f.add_argument("--radius-step", type=int, default=None, help="default 1, or the profile's")
    f.add_argument("--during-training", action="store_true", help="also sweep checkpoints/epoch_<k>.pt")
    f.add_argument("--profile", default=None, help="take --limit and --radius-step from params.yaml "
                   "analyses.frequency for this profile (full: every test image)")
    f = on_runs("filters", "non-zero count and sum of |w| per kernel of chosen layers")
    f.add_argument("--layers", nargs="*", help="module names (default: the paper's layers of the model, else "
                   "three 3x3 conv layers over the depth)")
    f.add_argument("--unit", choices=["kernel", "filter"], default="kernel")
    f.add_argument("--figure", choices=["16", "17"], default="16", help="the paper's figure these runs stand for")
    f.add_argument("--name", default="filters", help="file name of the outputs (NAME.md, NAME.png, ...)")
    g = on_runs("gradcam", "Grad-CAM heatmaps of several models on clean and corrupted images")
    g.add_argument("--images", type=int, default=4, help="how many test images")
    g.add_argument("--suite", default=None, help="corruption suite (default: the dataset's)")
    g.add_argument("--corruptions", nargs="*", default=None, help="default: figure 19's eight")
    g.add_argument("--severity", type=int, default=3)
    g.add_argument("--layer", default=None, help="target module name (default: the last conv)")
    for name, help_text in zip(TABLES, ["Table 9", "Tables 10-11", "Table 8", "figure 9"]):
        t = sub.add_parser(name, help=help_text)
        t.add_argument("--runs", nargs="*", help="the folder(s) of the group's runs")
        t.add_argument("--suite", help="the corruption suite of the robustness results")
        t.add_argument("--group", help="take --runs and --suite from this params.yaml analyses group")
        t.add_argument("--profile", default="full", help="the params.yaml profile of --group (full, smoke)")
        t.add_argument("--out", default="reports", help="output folder")
        if name == "ood-table":
            t.add_argument("--evaluate", action="store_true", help="evaluate the runs on the OOD sets first")
            t.add_argument("--algorithms", nargs="*", default=["dense", "rigl", "mest_g", "granet_g"])
    t = sub.add_parser("train", help="train and evaluate every run of an `analyses.groups` entry of params.yaml")
    t.add_argument("group")
    t.add_argument("--profile", default="full", help="the params.yaml profile (full, smoke)")
    return p


def run(args) -> int:
    """Dispatch to the chosen analysis; exit code 0."""
    if args.analysis in TABLES:
        if args.group:
            resolve_group(args)
        if not args.runs or not (args.suite or args.analysis == "ood-table"):
            from dscr.config import DscrError

            raise DscrError(f"analyze {args.analysis}: give --runs and --suite, or --group")
    handler = {"frequency": frequency, "filters": filters, "gradcam": gradcam, "mixup-table": tables,
               "ood-table": ood, "fmnist-table": tables, "cost": cost, "train": train_group}[args.analysis]
    return handler(args)


# --- loading runs ----------------------------------------------------------------------------------------

def expand_runs(paths: list[str], seed: int) -> list[Path]:
    """Run folders as given, plus the trained `*-seed<seed>` runs inside folders of runs."""
    from dscr.config import DscrError

    runs: list[Path] = []
    for path in map(Path, paths):
        if (path / "config.yaml").is_file():
            runs.append(path)
        elif path.is_dir():
            runs += [r for r in sorted(path.glob(f"*-seed{seed}")) if (r / "checkpoints" / "last.pt").is_file()]
        else:
            raise DscrError(f"{path} is neither a run folder nor a folder of runs")
    if not runs:
        raise DscrError(f"no trained run in {', '.join(paths)} (data missing or not trained yet)")
    return runs


def load_models(args) -> tuple[dict, object, object]:
    """({label: (model, cfg, run_dir)}, the first run's cfg, device) for the analyses on models."""
    from dscr.config import DscrError
    from dscr.engine.distributed import resolve_device
    from dscr.report.paper import DISPLAY
    from tasks.classification.evaluate import load_run

    device = resolve_device(args.device)
    runs = expand_runs(args.runs, args.seed)
    if args.labels and len(args.labels) != len(runs):
        raise DscrError(f"--labels names {len(args.labels)} runs but there are {len(runs)}: "
                        f"{', '.join(str(r) for r in runs)}")
    loaded = {}
    for i, run_dir in enumerate(runs):
        model, cfg = load_run(run_dir, device)
        label = args.labels[i] if args.labels else DISPLAY.get(cfg.dst.algorithm, cfg.dst.algorithm) + (
            f" s={cfg.dst.sparsity:g}" if cfg.dst.algorithm != "dense" else "")
        loaded[label if label not in loaded else f"{label} ({run_dir.name})"] = (model, cfg, run_dir)
    datasets = {cfg.data.name for _, cfg, _ in loaded.values()}
    if len(datasets) > 1:
        raise DscrError(f"the runs were trained on different datasets ({', '.join(sorted(datasets))})")
    return loaded, next(iter(loaded.values()))[1], device


def test_batches(cfg, limit: int, device, batch_size: int = 500) -> list:
    """The first `limit` clean test images (uint8) and labels of the runs' dataset, in batches on the device."""
    import torch

    from tasks.classification.data import folder_dataset
    from tasks.classification.datasets import get_info
    from tasks.classification.evaluate import array_test_batches

    info = get_info(cfg.data.name)
    if info.kind == "array":
        return array_test_batches(cfg.data.name, cfg.data.root, limit, batch_size, device)
    dataset = folder_dataset(info, cfg.data.root, "val", cfg.data.image_size, "none",
                             interpolation=cfg.data.interpolation)
    count = len(dataset) if limit <= 0 else min(limit, len(dataset))
    items = [dataset[i] for i in range(count)]
    images = torch.stack([x for x, _ in items]).to(device)
    labels = torch.tensor([y for _, y in items], device=device)
    return [(images[i:i + batch_size], labels[i:i + batch_size]) for i in range(0, count, batch_size)]


def stand_in_notes(analysis: str, cfg) -> list[str]:
    """A note when the runs are not on the data (and model) of the paper's figure for `analysis`."""
    from dscr.report.paper_analyses import ANALYSIS_SETTINGS

    figure, dataset, model = ANALYSIS_SETTINGS[analysis]
    if cfg.data.name == dataset and model in (None, cfg.model.name):
        return []
    return [f"STAND-IN: the paper's {figure} is {model or 'measured'} on {dataset}; these runs are "
            f"{cfg.model.name} on {cfg.data.name}"]


def filter_layers(requested: list[str] | None, cfg, model) -> dict[str, str]:
    """{our module name: the name the paper gives it (or ours)}: the requested layers, else the paper's layers
    of this model (figures 16-17), else three 3x3 conv layers spread over the depth."""
    from dscr.analysis import filters as lib
    from tasks.classification.models import PAPER_FILTER_LAYERS

    if requested:
        return {name: name for name in requested}
    paper = PAPER_FILTER_LAYERS.get(cfg.model.name)
    if paper:
        return {f"net.{ours}": theirs for theirs, ours in paper.items()}
    return {name: name for name in lib.default_layers(model)}


def scale_note(cfg, runs: list[Path]) -> str:
    subset = cfg.data.train_subset or "all"
    return (f"measured at: model {cfg.model.name} {dict(cfg.model.kwargs) or ''}, {cfg.epochs} epochs, "
            f"train images {subset}, dataset {cfg.data.name}; runs: {', '.join(str(r) for r in runs)}")


# --- analyses on models ------------------------------------------------------------------------------------

def frequency(args) -> int:
    from dscr.analysis.frequency import default_radii, radius_sweep, write_report
    from dscr.engine.checkpoint import load_checkpoint
    from tasks.classification.evaluate import predictor

    settings = {"limit": 1000, "radius_step": 1}
    if args.profile:
        from dscr.cli import pipeline

        profiled = pipeline.load_params(args.profile)["analyses"]["frequency"]
        settings = {key: pipeline.by_profile(value, args.profile) for key, value in profiled.items()}
    limit = settings["limit"] if args.limit is None else args.limit
    step = settings["radius_step"] if args.radius_step is None else args.radius_step
    loaded, cfg, device = load_models(args)
    batches = test_batches(cfg, limit, device)
    radii = default_radii(*batches[0][0].shape[-2:], step=step)
    predicts = {label: predictor(model, device) for label, (model, _, _) in loaded.items()}
    final = radius_sweep(predicts, batches, radii)
    training: dict = {}
    if args.during_training:
        for label, (model, _, run_dir) in loaded.items():
            for ckpt in sorted((run_dir / "checkpoints").glob("epoch_*.pt"), key=lambda p: int(p.stem[6:])):
                model.load_state_dict(load_checkpoint(ckpt, map_location=device, required=("model",))["model"])
                epoch = ckpt.stem[6:]
                training.setdefault(label, {})[epoch] = radius_sweep({label: predictor(model, device)}, batches,
                                                                     radii)[label]
    notes = [scale_note(cfg, [r for _, _, r in loaded.values()]),
             f"test images: {sum(len(y) for _, y in batches)}", *stand_in_notes("frequency", cfg)]
    if args.during_training and not training:
        notes.append("no checkpoints/epoch_<k>.pt kept (train with keep_every=k for the curves over training)")
    paths = write_report(final, training, args.out, notes)
    print(f"frequency: {', '.join(str(p) for p in paths)}")
    return 0


def filters(args) -> int:
    from dscr.analysis import filters as lib
    from dscr.config import DscrError
    from dscr.report.tables import write_table

    loaded, cfg, _ = load_models(args)
    stats, paper_names = {}, {}
    for label, (model, _, _) in loaded.items():
        layers = filter_layers(args.layers, cfg, model)
        paper_names.update(layers)
        try:
            stats[label] = lib.layer_stats(model, list(layers), args.unit)
        except KeyError as exc:
            raise DscrError(exc.args[0]) from None
    rows = [{"model": label, "layer": layer, "paper's name": paper_names[layer],
             **{k: f"{v:.4g}" for k, v in lib.summarize(points).items()}}
            for label, per_layer in stats.items() for layer, points in per_layer.items()]
    out = Path(args.out)
    setting = "filters-vgg16" if args.figure == "16" else "filters-resnet34"
    paths = write_table(out / args.name, list(rows[0]), rows, data=stats,
                        title=f"Filter analysis (figure {args.figure}): non-zero weights and sum of |w| per "
                              f"{args.unit}",
                        notes=[scale_note(cfg, [r for _, _, r in loaded.values()]),
                               "empty/full fraction: share of kernels with no / only non-zero weights",
                               *stand_in_notes(setting, cfg)])
    lib.plot(stats, out / f"{args.name}.png")
    print(f"filters: {', '.join(str(p) for p in paths)}, {out / f'{args.name}.png'}")
    return 0


def _suite_for(dataset: str, name: str | None):
    from dscr import corrupt
    from dscr.config import DscrError

    if name:
        return corrupt.get_suite(name)
    for suite_name in corrupt.list_suites():
        suite = corrupt.get_suite(suite_name)
        if suite.dataset == dataset:
            return suite
    raise DscrError(f"no corruption suite for dataset {dataset}; pass --suite")


def gradcam(args) -> int:
    import numpy as np
    import torch

    from dscr.analysis.gradcam import AREA_THRESHOLD, gradcam_maps, highlighted_area, plot_grid
    from dscr.config import DscrError
    from dscr.corrupt import batch_generator
    from dscr.report.tables import write_table

    from dscr.report.paper_analyses import FIGURE19_CORRUPTIONS

    loaded, cfg, device = load_models(args)
    images, labels = test_batches(cfg, args.images, device, batch_size=args.images)[0]
    suite = _suite_for(cfg.data.name, args.suite)
    args.corruptions = args.corruptions or FIGURE19_CORRUPTIONS
    unknown = sorted(set(args.corruptions) - set(suite.corruptions))
    if unknown or args.severity not in suite.severities:
        raise DscrError(f"{suite.name}: unknown corruption(s) {', '.join(unknown) or '-'} or severity "
                        f"{args.severity}; allowed: {', '.join(suite.corruptions)}; severities {suite.severities}")
    conditions = {"clean": images}
    for c in args.corruptions:
        conditions[f"{c} s{args.severity}"] = suite.apply(c, images, args.severity,
                                                         batch_generator(0, c, args.severity, 0, images.device))
    modules = {label: dict(model.named_modules()) for label, (model, _, _) in loaded.items()}
    grid, rows = [], []
    cams = {}
    for label, (model, _, _) in loaded.items():
        layer = modules[label].get(args.layer) if args.layer else None
        if args.layer and layer is None:
            raise DscrError(f"--layer {args.layer}: no such module in {label}")
        for cond, x in conditions.items():
            with torch.no_grad():
                predicted = model(x).argmax(1).tolist()
            cams[label, cond] = (gradcam_maps(model, x, labels, layer), predicted)
            area = highlighted_area(cams[label, cond][0])
            correct = np.array(predicted) == labels.cpu().numpy()
            rows.append({"model": label, "condition": cond, "mean highlighted area": f"{area.mean():.3f}",
                         "correct": f"{int(correct.sum())}/{len(correct)}"})
    for i in range(len(labels)):
        for cond, x in conditions.items():
            grid.append({"title": f"#{i} {cond}\nlabel {int(labels[i])}", "image": x[i].cpu().numpy(),
                         "cams": {m: cams[m, cond][0][i] for m in loaded},
                         "predicted": {m: f"pred {cams[m, cond][1][i]}" for m in loaded}})
    out = Path(args.out)
    paths = write_table(out / "gradcam", list(rows[0]), rows,
                        title="Grad-CAM: share of each map at or above " f"{AREA_THRESHOLD} (the attended region)",
                        notes=[scale_note(cfg, [r for _, _, r in loaded.values()]),
                               "maps explain the true class; figure: gradcam.png", *stand_in_notes("gradcam", cfg)])
    paths.append(plot_grid(grid, list(loaded), out / "gradcam.png"))
    print(f"gradcam: {', '.join(str(p) for p in paths)}")
    return 0


# --- tables over groups of runs ------------------------------------------------------------------------------

def _group_notes(runs_root: Path, suite: str) -> list[str]:
    """The scale the group was measured at (its first trained run's config) and how to read the table."""
    import yaml

    scale = "no trained run found"
    for config in sorted(runs_root.glob("*/config.yaml")):
        cfg = yaml.safe_load(config.read_text())
        if isinstance(cfg, dict):  # runs marked data missing hold a comment only
            scale = (f"measured at: model {cfg['model']['name']}, {cfg['epochs']} epochs, train images "
                     f"{cfg['data']['train_subset'] or 'all'} (e.g. {config.parent})")
            break
    return [scale, f"suite: {suite}; mean ± std over seeds; data missing: no measured run, no number made up"]


def tables(args) -> int:
    from dscr.analysis import comparisons

    records = [r for root in args.runs for r in comparisons.collect(root, args.suite)]
    build = comparisons.mixup_table if args.analysis == "mixup-table" else comparisons.fmnist_table
    paths = build(records, args.out, _group_notes(Path(args.runs[0]), args.suite))
    print(paths[0].read_text())
    return 0


def ood(args) -> int:
    from types import SimpleNamespace

    from dscr.analysis import comparisons
    from dscr.cli.pipeline import MISSING, evaluate
    from dscr.config import DscrError
    from dscr.engine.io import write_json_atomic
    from tasks.classification.evaluate import OOD_SUITES

    runs_root = Path(args.runs[0])
    if args.evaluate:
        for run_dir in sorted(r for root in args.runs for r in Path(root).glob("*-seed*")):
            for suite in OOD_SUITES:
                try:
                    evaluate(SimpleNamespace(profile=args.profile, run_dir=str(run_dir), suite=suite, from_dir=""))
                except DscrError as exc:  # the OOD test set is not on this machine
                    write_json_atomic(run_dir / "robustness" / f"{suite}.json",
                                      {"status": MISSING, "suite": suite, "run": str(run_dir), "why": str(exc)})
                    print(f"{run_dir}: {suite}: {exc}")
    results = {suite: [r for root in args.runs for r in comparisons.collect(root, suite)] for suite in OOD_SUITES}
    paths = comparisons.ood_table(results, args.algorithms, args.out, _group_notes(runs_root, "ImageNet-R/v2"))
    print(paths[0].read_text())
    return 0


def cost(args) -> int:
    from dscr.analysis import comparisons
    from dscr.cli.flops import count_run
    from dscr.config import DscrError

    runs_root = Path(args.runs[0])
    records = [r for root in args.runs for r in comparisons.collect(root, args.suite)]
    counted = []
    for r in records:
        try:
            counted.append({**count_run(r["run"]), **r})
        except DscrError:  # a run marked data missing has no config to count
            continue
    paths = comparisons.cost_table(counted, args.out, _group_notes(runs_root, args.suite) + [
        "FLOPs and parameters: estimates, counted as `dscr flops` does with each run's own settings and data "
        "size; wall time (training only, no evaluation) and peak memory: measured by each run (metrics.json)"])
    print(paths[0].read_text())
    return 0


# --- training the analysis groups of params.yaml ----------------------------------------------------------------

def load_group(name: str, profile: str) -> tuple[dict, dict]:
    """(params.yaml for `profile`, the analyses group `name` with its values resolved for that profile and its
    scenario from `analyses.runs`)."""
    from dscr.cli import pipeline
    from dscr.config import DscrError

    params = pipeline.load_params(profile)
    analyses = params.get("analyses", {})
    groups = analyses.get("groups", {})
    if name not in groups:
        raise DscrError(f"unknown analysis group '{name}'; allowed: {', '.join(groups)}")
    group = {key: pipeline.by_profile(value, profile) for key, value in groups[name].items()}
    entry = analyses.get("runs", {}).get(f"{profile}-{name}")
    if entry is None:
        raise DscrError(f"params.yaml analyses.runs has no entry {profile}-{name} (its scenario)")
    return params, {**group, "scenario": entry["scenario"]}


def resolve_group(args) -> None:
    """Fill --runs and --suite of a table command from its params.yaml group."""
    params, group = load_group(args.group, args.profile)
    args.runs = args.runs or [f"runs/{params['profile']}/analyses/{args.group}"]
    args.suite = args.suite or group.get("suite")


def train_group(args) -> int:
    """Train and evaluate every run of a group (runs of the group that finished are kept; see
    `dscr.cli.pipeline.train_run`); the group's work folders are deleted once all of them are published."""
    import shutil
    from types import SimpleNamespace

    from dscr.analysis.comparisons import run_name
    from dscr.cli import pipeline

    params, group = load_group(args.group, args.profile)
    root = Path(f"runs/{args.profile}/analyses/{args.group}")
    variants = group.get("variants") or {"": []}
    for seed in group.get("seeds") or params["analyses"]["seeds"]:  # a group may ask for more (Table 8: 3)
        for algorithm in group["algorithms"]:
            for sparsity in ([0.0] if algorithm == "dense" else group["sparsities"]):
                for variant, extra in variants.items():
                    run_dir = root / run_name(algorithm, sparsity, seed, variant)
                    pipeline.train_run(params, group["scenario"], algorithm, seed, run_dir, sparsity,
                                       list(group.get("overrides") or []) + list(extra), keep_work=True)
                    if group.get("suite"):
                        pipeline.evaluate(SimpleNamespace(profile=args.profile, run_dir=str(run_dir),
                                                          suite=group["suite"], from_dir=group.get("from") or ""))
    shutil.rmtree(pipeline.resume_root() / root, ignore_errors=True)
    return 0
