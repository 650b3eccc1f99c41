"""Bad input through the real `dscr` entry point: one line on stderr, exit code 2, nothing left behind."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from dscr.cli import main
from dscr.config import load_config
from tasks.classification import train
from tasks.classification.config import TrainConfig

TINY = ["epochs=1", "batch_size=32", "data.train_subset=128", "data.test_subset=64", "model.kwargs={width: 4}",
        "data.eval_batch_size=64", "threads=1"]


def files(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def one_line_error(capsys, argv: list[str], *fragments: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.fixture(scope="module")
def trained(repo_root, cifar10_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    overrides = TINY + [f"data.root={cifar10_root}", f"out_dir={out}", "name=a"]
    train.main(load_config(TrainConfig, repo_root / "tasks/classification/configs/smoke.yaml", overrides))
    return out / "a"


def train_argv(repo_root, cifar10_root, out_dir, *extra):
    return ["train", "--config", str(repo_root / "tasks/classification/configs/smoke.yaml"), *TINY,
            f"data.root={cifar10_root}", f"out_dir={out_dir}", *extra]


DAMAGE = {"truncated": lambda data: data[: len(data) // 2], "random bytes": lambda data: bytes(
    np.random.default_rng(2).integers(0, 256, len(data), dtype=np.uint8)), "empty": lambda data: b""}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_checkpoint_for_evaluate_and_resume(trained, repo_root, cifar10_root, tmp_path, capsys, damage):
    run = tmp_path / "a"
    shutil.copytree(trained, run)
    ckpt = run / "checkpoints" / "last.pt"
    ckpt.write_bytes(DAMAGE[damage](ckpt.read_bytes()))
    before = files(run)
    one_line_error(capsys, ["evaluate", str(run), "--suite", "cifar10-c", "--limit", "8", "--corruptions",
                            "fog"], str(ckpt))
    one_line_error(capsys, train_argv(repo_root, cifar10_root, tmp_path, "name=a", "resume=true", "epochs=2"),
                   str(ckpt))
    assert files(run) == before


@pytest.mark.parametrize("override, says", [
    ("device=cuda", "CUDA is not available"),
    ("optim.lr=-0.1", "optim.lr: -0.1; must be > 0"),
    ("data.train_subset=-5", "data.train_subset: -5; must be >= 0"),
    ("data.root=/nonexistent", "data missing: /nonexistent/cifar10"),
])
def test_a_refused_run_leaves_nothing_behind(repo_root, cifar10_root, tmp_path, capsys, override, says):
    if override == "device=cuda" and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    one_line_error(capsys, train_argv(repo_root, cifar10_root, tmp_path, "name=r", override), says)
    assert files(tmp_path) == []


def test_resume_clears_the_temp_file_of_a_killed_checkpoint_write(trained, repo_root, cifar10_root, tmp_path):
    run = tmp_path / "a"
    shutil.copytree(trained, run)
    stale = run / "checkpoints" / ".last.pt.q0k1ll3d.tmp"  # what a kill -9 during torch.save left
    stale.write_bytes(b"half a checkpoint")
    assert main(train_argv(repo_root, cifar10_root, tmp_path, "name=a", "resume=true", "epochs=2")) == 0
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["last.pt"]


@pytest.fixture(scope="module")
def images_npy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("npy")
    np.save(folder / "good.npy", np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8))
    raw = (folder / "good.npy").read_bytes()
    (folder / "truncated.npy").write_bytes(raw[: len(raw) // 2])
    (folder / "random.npy").write_bytes(np.random.default_rng(1).bytes(4096))
    np.save(folder / "object.npy", np.array([{"a": 1}] * 6, dtype=object), allow_pickle=True)
    np.save(folder / "empty.npy", np.zeros((0, 32, 32, 3), np.uint8))
    np.save(folder / "labels5.npy", np.arange(5))
    return folder


@pytest.mark.parametrize("images, labels, says", [
    ("truncated.npy", None, "is not a readable .npy array"),
    ("random.npy", None, "is not a readable .npy array"),
    ("object.npy", None, "is not a readable .npy array"),
    ("empty.npy", None, "holds 0 images"),
    ("good.npy", "labels5.npy", "--labels must hold one integer per image"),
])
def test_corrupt_refuses_bad_arrays(images_npy, tmp_path, capsys, images, labels, says):
    argv = ["corrupt", "--suite", "cifar10-c", "--images", str(images_npy / images), "--out", str(tmp_path / "o"),
            "--corruptions", "fog"] + (["--labels", str(images_npy / labels)] if labels else [])
    one_line_error(capsys, argv, says)
    assert not (tmp_path / "o").exists()


def test_evaluate_from_a_missing_or_mismatched_folder(trained, cifar10_root, tmp_path, capsys):
    evaluate = ["evaluate", str(trained), "--suite", "cifar10-c", "--corruptions", "fog", "--limit", "12"]
    one_line_error(capsys, evaluate + ["--from", str(tmp_path / "none")], "--from folder not found")
    folder = tmp_path / "c"
    assert main(["corrupt", "--suite", "cifar10-c", "--root", str(cifar10_root), "--limit", "12",
                 "--corruptions", "fog", "--out", str(folder)]) == 0
    assert main(evaluate + ["--from", str(folder)]) == 0  # the matching folder is accepted
    assert main(evaluate[:-1] + ["10", "--from", str(folder)]) == 0  # and scores its first 10 images
    one_line_error(capsys, evaluate[:-1] + ["13", "--from", str(folder)], "does not match the 13 test images")
    labels = np.load(folder / "labels.npy")
    np.save(folder / "labels.npy", labels[:7])
    one_line_error(capsys, evaluate + ["--from", str(folder)], "labels.npy N or 5 x N labels (labels: 7)")
    np.save(folder / "labels.npy", (labels + 1) % 10)  # same count, other images
    one_line_error(capsys, evaluate + ["--from", str(folder)], "does not match the 12 test images")


def test_negative_limits_are_refused_and_zero_means_every_image(trained, tmp_path, capsys):
    data = tmp_path / "data" / "cifar10"
    data.mkdir(parents=True)
    np.save(data / "test_images.npy", np.random.default_rng(3).integers(0, 256, (14, 32, 32, 3), dtype=np.uint8))
    np.save(data / "test_labels.npy", np.arange(14) % 10)
    one_line_error(capsys, ["evaluate", str(trained), "--suite", "cifar10-c", "--limit", "-5", "--corruptions", "fog",
                            "--data-root", str(tmp_path / "data")], "--limit -5")
    one_line_error(capsys, ["corrupt", "--suite", "cifar10-c", "--root", str(tmp_path / "data"), "--limit", "-5",
                            "--out", str(tmp_path / "o")], "--limit >= 0")
    assert main(["evaluate", str(trained), "--suite", "cifar10-c", "--limit", "0", "--corruptions", "fog",
                 "--data-root", str(tmp_path / "data")]) == 0
    assert json.loads((trained / "robustness" / "cifar10-c.only-fog.json").read_text())["test_images"] == 14
    assert main(["corrupt", "--suite", "cifar10-c", "--root", str(tmp_path / "data"), "--limit", "0",
                 "--corruptions", "fog", "--out", str(tmp_path / "o")]) == 0
    assert np.load(tmp_path / "o" / "fog.npy").shape[0] == 14 * 5


def test_report_refuses_a_missing_runs_folder(repo_root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(repo_root)  # params.yaml
    for what in ("table2", "figure2", "gains"):
        one_line_error(capsys, ["report", what, "--runs", str(tmp_path / "none"), "--out", str(tmp_path / "r")],
                       f"runs folder not found: {tmp_path / 'none'}")
    assert not (tmp_path / "r").exists()
