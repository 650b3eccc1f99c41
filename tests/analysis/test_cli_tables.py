"""Tables over groups of runs (Table 9 Mixup, figure 9 cost, Tables 8 and 10-11) and `dscr analyze train`:
tiny runs trained and evaluated for real, and the tables hold exactly the numbers of their result files."""

import json
import shutil
from statistics import mean, stdev

import pytest
import yaml

from dscr.analysis.comparisons import RUN_NAME, collect, run_name
from dscr.config import DscrError, load_config
from tasks.classification import train
from tasks.classification.config import TrainConfig
from tasks.classification.evaluate import evaluate_runs

from .cli_helpers import run_analyze
from .conftest import TINY


def test_run_names_round_trip():
    for args, name in (((("dense", 0.0, 1)), "dense-seed1"), (("set", 0.5, 0, "mixup"), "set-s0.5-mixup-seed0"),
                       (("chts", 0.95, 2, "bsw"), "chts-s0.95-bsw-seed2"), (("mest_r", 0.3, 0), "mest_r-s0.3-seed0")):
        assert run_name(*args) == name
        m = RUN_NAME.match(name)
        assert m["algorithm"] == args[0] and int(m["seed"]) == args[2]
        assert (m["variant"] or "") == (args[3] if len(args) > 3 else "")


@pytest.fixture(scope="module")
def mixup_group(tiny_runs, repo_root, cifar10_root, tmp_path_factory):
    """Dense and SET, without (the shared tiny runs) and with Mixup, evaluated on CIFAR-10-C (their 64 test
    images)."""
    group = tmp_path_factory.mktemp("mixup_group")
    for algorithm, run in tiny_runs.items():
        shutil.copytree(run, group / run_name(algorithm, 0.5, 0))
        cfg = load_config(TrainConfig, repo_root / "tasks/classification/configs/smoke.yaml",
                          TINY + [f"data.root={cifar10_root}", f"out_dir={group}", "epochs=1", "mixup_alpha=1.0",
                                  f"name={run_name(algorithm, 0.5, 0, 'mixup')}", f"dst.algorithm={algorithm}",
                                  "dst.sparsity=0.5"])
        train.main(cfg)
    evaluate_runs(sorted(group.iterdir()), "cifar10-c", device="cpu")
    return group


def test_mixup_table_holds_the_measured_numbers(mixup_group, tmp_path):
    assert run_analyze("mixup-table", "--runs", mixup_group, "--suite", "cifar10-c", "--out", tmp_path) == 0
    cells = {(d["algorithm"], d["mixup"]): d for d in json.loads((tmp_path / "mixup.json").read_text())}
    for (algorithm, mixup), d in cells.items():
        run = mixup_group / run_name(algorithm, 0.5, 0, "mixup" if mixup else "")
        measured = json.loads((run / "robustness/cifar10-c.json").read_text())["robustness_accuracy"]
        assert d["robustness"] == [measured, 0.0]
    assert cells["dense", True]["paper"] == 54.75
    md = (tmp_path / "mixup.md").read_text()
    assert "(paper 52.60, Δ" in md and (tmp_path / "mixup.png").stat().st_size > 0


def test_cost_counts_flops_of_each_run(mixup_group, tmp_path):
    assert run_analyze("cost", "--runs", mixup_group, "--suite", "cifar10-c", "--out", tmp_path) == 0
    points = {(p["algorithm"]): p for p in json.loads((tmp_path / "cost.json").read_text())}
    assert set(points) == {"dense", "set"}
    # dense: 3 x forward FLOPs x samples x epochs (the two seeds' epochs differ: the first record's run counts)
    assert points["set"]["training_flops"] < points["dense"]["training_flops"]
    assert points["set"]["params"] < points["dense"]["params"]
    assert len(points["dense"]["robustness"]) == 2 and (tmp_path / "cost.png").stat().st_size > 0
    # measured cost beside the estimates: the mean over the group's runs of what each run's metrics.json says
    md = (tmp_path / "cost.md").read_text()
    for algorithm, point in points.items():
        metrics = [json.loads(m.read_text()) for m in mixup_group.glob(f"{algorithm}-*/metrics.json")]
        assert len(metrics) == 2
        wall = [m["wall_time_s"] for m in metrics]
        peak = [m["peak_memory_bytes"] / 2**20 for m in metrics]
        assert point["wall_time_s"] == pytest.approx([mean(wall), stdev(wall)])
        assert point["peak_memory_mib"] == pytest.approx([mean(peak), stdev(peak)])
        spread = lambda v, form: f" ± {v:{form}}" if v else ""  # noqa: E731  (a zero spread prints none)
        assert (f"| {mean(wall):.1f}{spread(stdev(wall), '.1f')} | {mean(peak):.0f}{spread(stdev(peak), '.0f')} |"
                in md)


def test_flops_of_a_run_prints_its_estimates_beside_its_measurements(tiny_runs, capsys):
    from dscr.cli import flops as flops_cli
    from dscr.cli import main as dscr_main

    assert dscr_main(["flops", "--run", str(tiny_runs["dense"])]) == 0
    out = capsys.readouterr().out
    metrics = json.loads((tiny_runs["dense"] / "metrics.json").read_text())
    assert f"training wall time {metrics['wall_time_s']:.1f} s ({metrics['images_per_s']:.0f} img/s)" in out
    assert f"peak memory {metrics['peak_memory_bytes'] / 2**20:.0f} MiB (cpu_peak_rss)" in out
    # dense: training FLOPs = 3 x inference FLOPs x samples x epochs (256 CIFAR images, 2 epochs: TINY)
    values = flops_cli.count_run(tiny_runs["dense"])
    assert values["training_flops"] == pytest.approx(3 * values["inference_flops"] * 256 * 2)
    assert f"training FLOPs  {values['training_flops']:.3e}" in out
    with pytest.raises(DscrError, match="no config.yaml"):
        flops_cli.count_run(tiny_runs["dense"] / "checkpoints")


def test_tables_without_data_say_data_missing(tmp_path):
    (tmp_path / "runs" / "dense-seed0").mkdir(parents=True)
    assert run_analyze("fmnist-table", "--runs", tmp_path / "runs", "--suite", "fashion-mnist-c", "--out",
                       tmp_path) == 0
    md = (tmp_path / "fmnist.md").read_text()
    assert md.count("data missing (paper") == 10 and "19.82 ± 0.32" in md
    assert run_analyze("ood-table", "--runs", tmp_path / "runs", "--out", tmp_path) == 0
    ood = (tmp_path / "ood.md").read_text()
    assert "imagenet-r" in ood and "data missing (paper 40.04)" in ood and "(paper 72.13)" in ood
    with pytest.raises(DscrError, match="--group"):
        run_analyze("cost", "--out", tmp_path)


def test_train_group_trains_evaluates_and_marks_missing(repo_root, cifar10_root, tmp_path, monkeypatch):
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    params["smoke"]["train_overrides"] = {"classification": TINY + ["epochs=1", "data.train_subset=64",
                                                                    "data.test_subset=16"]}
    params["datasets"] = {"cifar10": str(cifar10_root / "cifar10/train_images.npy"),
                          "fashionmnist": str(tmp_path / "absent")}
    params["scenarios"]["cifar10_vgg16"]["config"] = str(repo_root / "tasks/classification/configs/smoke.yaml")
    params["analyses"]["groups"] = {
        "tiny": {"algorithms": ["set"], "sparsities": {"full": [0.3], "smoke": [0.5]},
                 "overrides": [f"data.root={cifar10_root}"], "suite": "cifar10-c"},
        "gone": {"algorithms": ["dense"], "sparsities": [0.9], "suite": "fashion-mnist-c"}}
    params["analyses"]["runs"] = {"smoke-tiny": {"profile": "smoke", "group": "tiny", "scenario": "cifar10_vgg16"},
                                  "smoke-gone": {"profile": "smoke", "group": "gone", "scenario": "fashionmnist_mlp"}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    assert run_analyze("train", "tiny", "--profile", "smoke") == 0
    run = tmp_path / "runs/smoke/analyses/tiny/set-s0.5-seed0"
    result = json.loads((run / "robustness/cifar10-c.json").read_text())
    assert result["sparsity"] == 0.5 and result["test_images"] == 16 and len(result["corruptions"]) == 19
    assert not (tmp_path / ".dscr/resume/runs/smoke/analyses/tiny").exists()  # published, work folders gone
    assert run_analyze("train", "gone", "--profile", "smoke") == 0
    missing = tmp_path / "runs/smoke/analyses/gone/dense-seed0"
    assert (missing / "checkpoints/DATA_MISSING").is_file()
    assert json.loads((missing / "robustness/fashion-mnist-c.json").read_text())["status"] == "data missing"
    with pytest.raises(DscrError, match="unknown analysis group .nope.; allowed: .*tiny"):
        run_analyze("train", "nope", "--profile", "smoke")
