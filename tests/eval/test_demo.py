"""`dscr demo` end to end on a tiny recipe, and the demo table's arithmetic (means, stds, gains over dense)."""

from __future__ import annotations

import json

import pytest

from dscr.cli import main
from dscr.report.demo import render


def _result(algorithm: str, seed: int, clean: float, robust: float) -> dict:
    return {"algorithm": algorithm, "clean_accuracy": clean, "robustness_accuracy": robust, "test_images": 40,
            "seed_run": seed}


def test_render_means_stds_best_and_gain_over_the_dense_mean(tmp_path):
    results = {"d0": _result("dense", 0, 80.0, 60.0), "d1": _result("dense", 1, 82.0, 64.0),
               "s0": _result("set", 0, 79.0, 63.0), "s1": _result("set", 1, 81.0, 69.0)}
    md = render(results, ["dense", "set"], [0, 1], tmp_path, sparsity=0.5, limit=40)
    # dense: 62 ± 2.83 (sample std of 60, 64); SET: 66 ± 4.24; gain (66 - 62) / 62 = +6.45 %
    assert "| Dense | 0.0 | 81.00 ± 1.41 | 62.00 ± 2.83 | - |" in md
    assert "| SET | 0.5 | 80.00 ± 1.41 | **66.00 ± 4.24** | +6.45 % |" in md
    assert "on 40 fixed test images; mean ± std over seeds [0, 1]" in md
    assert {p.name for p in tmp_path.iterdir()} == {"table.md", "table.csv", "table.json", "table.png"}


def test_demo_trains_evaluates_and_reports_every_run(repo_root, cifar10_root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(repo_root)
    argv = ["demo", "--algorithms", "dense,set", "--sparsity", "0.3", "--seeds", "0", "--limit", "6",
            "--out", str(tmp_path / "runs"), "--report", str(tmp_path / "report"), "epochs=1", "batch_size=32",
            "data.train_subset=64", "data.test_subset=32", "model.kwargs={width: 4}", "threads=1",
            f"data.root={cifar10_root}"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "demo: 2 runs trained and evaluated" in out
    stats = json.loads((tmp_path / "report" / "table.json").read_text())["stats"]
    for algorithm, sparsity in (("dense", 0.3), ("set", 0.3)):
        run = tmp_path / "runs" / f"{algorithm}-seed0"
        record = json.loads((run / "robustness" / "cifar10-c.limit6.json").read_text())  # 6 of the 32
        assert record["test_images"] == 6 and record["sparsity"] == sparsity and record["algorithm"] == algorithm
        assert len(record["corruptions"]) == 19
        assert stats[algorithm]["robustness"][0] == pytest.approx(record["robustness_accuracy"])
    assert "| SET | 0.3 |" in (tmp_path / "report" / "table.md").read_text()


@pytest.mark.parametrize("flag, value, says", [("--seeds", "0,one", "--seeds '0,one' must be comma-separated"),
                                               ("--limit", "-1", "--limit -1: must be >= 0")])
def test_demo_refuses_bad_flags_before_training(repo_root, cifar10_root, tmp_path, capsys, monkeypatch, flag, value,
                                                says):
    monkeypatch.chdir(repo_root)
    tiny = ["--algorithms", "dense", "epochs=1", "data.train_subset=32", "data.test_subset=16", "batch_size=16",
            "model.kwargs={width: 4}", f"data.root={cifar10_root}"]  # a regression trains this much, not more
    assert main(["demo", flag, value, "--out", str(tmp_path / "runs"), *tiny]) == 2
    assert says in capsys.readouterr().err and not (tmp_path / "runs").exists()
