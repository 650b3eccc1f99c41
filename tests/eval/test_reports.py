import json

import pytest

from dscr.report import table2
from dscr.report.figures import figure2, gains


def _write(path, robustness, clean=90.0, algorithm="dense", sparsity=0.5, seed=0, corruptions=None):
    path.mkdir(parents=True, exist_ok=True)
    result = {"suite": "cifar10-c", "clean_accuracy": clean, "robustness_accuracy": robustness,
              "source": "published: data/CIFAR-10-C",
              "algorithm": algorithm, "sparsity": sparsity, "seed_run": seed,
              "corruptions": corruptions or {"fog": {"1": robustness, "2": robustness}}, "complete": True}
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
    table = table2.build(runs, rows, ["dense", "rigl"], absent=frozenset({"cifar100_resnet34"}))
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
    summary = json.loads((tmp_path / "reports" / "table2_summary.json").read_text())
    assert summary["cifar10_vgg16/cifar10-c"]["rigl"] == {"robustness": 64.0, "robustness_std": 2.0, "clean": 90.0,
                                                          "seeds": 3}
    assert set(summary) == {"cifar10_vgg16/cifar10-c", "imagenet_resnet50/imagenet-c"}  # cifar100: none measured


def test_table2_reads_only_complete_results(tmp_path):
    runs = tmp_path / "runs"
    rows = [{"scenario": "cifar10_vgg16", "suite": "cifar10-c"}]
    _write(runs / "cifar10_vgg16" / "dense-seed0" / "robustness", 60.0)
    _write(runs / "cifar10_vgg16" / "dense-seed1" / "robustness", 70.0)
    partial = runs / "cifar10_vgg16" / "dense-seed1" / "robustness" / "cifar10-c.json"
    partial.write_text(partial.read_text().replace('"complete": true', '"complete": false'))
    assert table2.build(runs, rows, ["dense"])[0]["cells"]["dense"]["robustness"] == (60.0, 0.0)


def test_figure2_and_gains(tmp_path):
    runs = tmp_path / "runs"
    corr = lambda v: {"fog": {"1": v, "2": v / 2}}  # noqa: E731
    _write(runs / "cifar10_vgg16" / "dense-seed0" / "robustness", 50.0, corruptions=corr(50.0))
    for s in (0.3, 0.5):
        _write(runs / "cifar10_vgg16" / f"set-s{s:g}-seed0" / "robustness", 55.0, algorithm="set", sparsity=s,
               corruptions=corr(55.0))
    params = {"profile": "test", "figure2": {"seeds": [0],
        "algorithms": ["set"], "sparsities": [0.3, 0.5],
        "rows": [{"scenario": "cifar10_vgg16", "suite": "cifar10-c"}]}}
    figure2(runs, params, tmp_path / "out")
    assert "| cifar10_vgg16 | SET | 55.00 ± 0.00 | 55.00 ± 0.00 |" in (tmp_path / "out/figure2.md").read_text()
    gains(runs, params, tmp_path / "out")
    data = json.loads((tmp_path / "out/gains.json").read_text())
    assert abs(data[0]["gain"]["fog"]["1"] - 0.1) < 1e-12 and abs(data[0]["gain"]["fog"]["2"] - 0.1) < 1e-12
    assert (tmp_path / "out/gains.png").stat().st_size > 0


def _marker(path, suite="cifar10-c"):
    """What `dscr pipeline evaluate` writes for a run whose dataset is absent."""
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{suite}.json").write_text(json.dumps({"status": "data missing", "suite": suite}))


def test_empty_cells_say_not_trained_yet_unless_the_data_is_missing(tmp_path):
    runs = tmp_path / "runs"
    _write(runs / "cifar10_vgg16" / "dense-seed0" / "robustness", 60.0)
    _marker(runs / "cifar100_resnet34" / "dense-seed0" / "robustness", "cifar100-c")
    rows = [{"scenario": "cifar10_vgg16", "suite": "cifar10-c"}, {"scenario": "cifar100_resnet34", "suite": "cifar100-c"},
            {"scenario": "tinyimagenet_efficientnet_b0", "suite": "tinyimagenet-c"},
            {"scenario": "imagenet_resnet50", "suite": "imagenet-c"}]
    table = table2.build(runs, rows, ["dense", "rigl"], absent=frozenset({"imagenet_resnet50"}))
    md = table2.render(table, ["dense", "rigl"], tmp_path / "reports")[0].read_text()
    assert "| cifar10_vgg16 | cifar10-c | 0.5 | 60.00 ± 0.00 | not trained yet |" in md  # data here, rigl not run
    assert "| cifar100_resnet34 | cifar100-c | - | data missing | data missing |" in md  # the pipeline's marker
    assert "| tinyimagenet_efficientnet_b0 | tinyimagenet-c | - | not trained yet | not trained yet |" in md
    assert "| imagenet_resnet50 | imagenet-c | - | data missing (paper 38.38) | data missing (paper 38.70) |" in md


def test_figure2_and_gains_say_not_trained_yet_or_data_missing(tmp_path):
    runs = tmp_path / "runs"
    _write(runs / "cifar10_vgg16" / "dense-seed0" / "robustness", 50.0)
    params = {"profile": "test", "figure2": {"seeds": [0],
        "algorithms": ["set"], "sparsities": [0.5],
        "rows": [{"scenario": "cifar10_vgg16", "suite": "cifar10-c"},
                 {"scenario": "cifar100_resnet34", "suite": "cifar100-c"}]}}
    figure2(runs, params, tmp_path / "out", absent=frozenset({"cifar100_resnet34"}))
    md = (tmp_path / "out/figure2.md").read_text()
    assert "| cifar10_vgg16 | SET | not trained yet |" in md and "| cifar100_resnet34 | SET | data missing |" in md
    gains(runs, params, tmp_path / "out", absent=frozenset({"cifar100_resnet34"}))
    md = (tmp_path / "out/gains.md").read_text()
    assert "| cifar10_vgg16 | SET | not trained yet |" in md and "| cifar100_resnet34 | SET | data missing |" in md


def test_two_seeds_give_sample_std_and_gains_of_the_seed_means(tmp_path):
    runs = tmp_path / "runs"
    # fog severity 1: dense 50 and 70 (mean 60), SET 66 and 54 (mean 60): the gain of the means is 0, while
    # the mean of per-seed gains would be ((66 - 50) / 50 + (54 - 70) / 70) / 2 = +4.57 %.
    for seed, (dense, sparse) in enumerate([(50.0, 66.0), (70.0, 54.0)]):
        _write(runs / "cifar10_vgg16" / f"dense-seed{seed}" / "robustness", dense, seed=seed,
               corruptions={"fog": {"1": dense, "2": 40.0}})
        _write(runs / "cifar10_vgg16" / f"set-s0.5-seed{seed}" / "robustness", sparse, algorithm="set", seed=seed,
               corruptions={"fog": {"1": sparse, "2": 30.0 + 20.0 * seed}})
    params = {"profile": "test", "figure2": {"seeds": [0, 1],
        "algorithms": ["set"], "sparsities": [0.5], "rows": [{"scenario": "cifar10_vgg16", "suite": "cifar10-c"}]}}
    figure2(runs, params, tmp_path / "out")
    # sample std (n - 1): |66 - 54| / sqrt(2) = 8.49; |50 - 70| / sqrt(2) = 14.14
    md = (tmp_path / "out/figure2.md").read_text()
    assert "| cifar10_vgg16 | SET | 60.00 ± 8.49 |" in md and "| cifar10_vgg16 | Dense | 60.00 ± 14.14 |" in md
    gains(runs, params, tmp_path / "out")
    gain = json.loads((tmp_path / "out/gains.json").read_text())[0]["gain"]["fog"]
    assert gain["1"] == pytest.approx(0.0, abs=1e-12)
    assert gain["2"] == pytest.approx((40.0 - 40.0) / 40.0, abs=1e-12)  # SET 30 and 50: mean 40
