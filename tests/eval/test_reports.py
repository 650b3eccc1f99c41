import json

from dscr.report import table2
from dscr.report.figures import figure2, gains


def _write(path, robustness, clean=90.0, algorithm="dense", sparsity=0.5, seed=0, corruptions=None):
    path.mkdir(parents=True, exist_ok=True)
    result = {"suite": "cifar10-c", "clean_accuracy": clean, "robustness_accuracy": robustness,
              "source": "published: data/CIFAR-10-C",
              "algorithm": algorithm, "sparsity": sparsity, "seed_run": seed,
              "corruptions": corruptions or {"fog": {"1": robustness, "2": robustness}}}
    (path / "cifar10-c.json").write_text(json.dumps(result))


def test_table2_means_stds_best_paper_gap_and_missing(tmp_path):
    runs = tmp_path / "runs"
    for seed, (d, r) in enumerate([(60.0, 62.0), (62.0, 64.0), (64.0, 66.0)]):
        _write(runs / "cifar10_vgg16" / f"dense-seed{seed}" / "robustness", d, seed=seed)
        _write(runs / "cifar10_vgg16" / f"rigl-seed{seed}" / "robustness", r, algorithm="rigl", seed=seed)
        _write(runs / "imagenet_resnet50" / f"dense-seed{seed}" / "robustness", 40.0, seed=seed)
    rows = [{"scenario": "cifar10_vgg16", "suite": "cifar10-c"}, {"scenario": "imagenet_resnet50", "suite": "imagenet-c"},
            {"scenario": "cifar100_resnet34", "suite": "cifar100-c"}]
    for seed in range(3):  # imagenet-c results live under another suite name: that row stays missing
        (runs / "imagenet_resnet50" / f"dense-seed{seed}" / "robustness" / "cifar10-c.json").rename(
            runs / "imagenet_resnet50" / f"dense-seed{seed}" / "robustness" / "imagenet-c.json")
    table = table2.build(runs, rows, ["dense", "rigl"])
    assert table[0]["cells"]["dense"]["robustness"] == (62.0, 2.0)
    assert table[0]["cells"]["rigl"]["n"] == 3
    paths = table2.render(table, ["dense", "rigl"], tmp_path / "reports")
    md = paths[0].read_text()
    assert ("| cifar10_vgg16 | cifar10-c | 0.5 | 62.00 ± 2.00 | **64.00 ± 2.00** | published: data/CIFAR-10-C |"
            in md)
    assert "40.00 ± 0.00 (paper 38.38, Δ +1.62)" in md
    assert "| cifar100_resnet34 | cifar100-c | - | data missing | data missing |" in md
    assert {p.suffix for p in paths} == {".md", ".csv", ".json", ".png"}
    assert all(p.stat().st_size > 0 for p in paths)


def test_figure2_and_gains(tmp_path):
    runs = tmp_path / "runs"
    corr = lambda v: {"fog": {"1": v, "2": v / 2}}  # noqa: E731
    _write(runs / "cifar10_vgg16" / "dense-seed0" / "robustness", 50.0, corruptions=corr(50.0))
    for s in (0.3, 0.5):
        _write(runs / "cifar10_vgg16" / f"set-s{s:g}-seed0" / "robustness", 55.0, algorithm="set", sparsity=s,
               corruptions=corr(55.0))
    params = {"profile": "test", "figure2_seeds": [0], "figure2": {
        "algorithms": ["set"], "sparsities": [0.3, 0.5],
        "rows": [{"scenario": "cifar10_vgg16", "suite": "cifar10-c"}]}}
    figure2(runs, params, tmp_path / "out")
    assert "| cifar10_vgg16 | SET | 55.00 ± 0.00 | 55.00 ± 0.00 |" in (tmp_path / "out/figure2.md").read_text()
    gains(runs, params, tmp_path / "out")
    data = json.loads((tmp_path / "out/gains.json").read_text())
    assert abs(data[0]["gain"]["fog"]["1"] - 0.1) < 1e-12 and abs(data[0]["gain"]["fog"]["2"] - 0.1) < 1e-12
    assert (tmp_path / "out/gains.png").stat().st_size > 0
