"""Evaluation on published CIFAR-10-C files (data/CIFAR-10-C/<corruption>.npy + labels.npy), preferred by the
pipeline when present, and on-the-fly generation otherwise; the record says which was used."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import yaml

from dscr.config import DscrError, load_config, to_dict
from dscr.engine.checkpoint import save_checkpoint
from tasks.classification.config import TrainConfig
from tasks.classification.evaluate import evaluate_runs
from tasks.classification.train import build_model

N = 12  # images per severity in the fake published files
NAMES = ["gaussian_noise", "fog"]


@pytest.fixture()
def data_root(tmp_path, cifar10_root):
    root = tmp_path / "data"
    root.mkdir()
    (root / "cifar10").symlink_to(cifar10_root / "cifar10")
    return root


def make_run(run_dir, data_root, repo_root, *overrides):
    """An (untrained) tiny model saved the way `dscr train` saves a run: the evaluation only reads the two files."""
    cfg = load_config(TrainConfig, repo_root / "tasks/classification/configs/smoke.yaml",
                      [f"data.root={data_root}", "model.kwargs={width: 4}", "device=cpu", *overrides])
    torch.manual_seed(0)
    model = build_model(cfg)
    save_checkpoint(run_dir / "checkpoints" / "last.pt", {"model": model.state_dict()})
    (run_dir / "config.yaml").write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
    return model.eval()


def write_published(folder, model):
    """Published-format files whose labels make the answer known: in the first half of each severity the label
    is the model's own prediction when the severity is odd and the next class when it is even, in the second
    half the other way round; so every severity scores 50 %, and its first half 100 % or 0 %."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    labels = []
    for index, name in enumerate(NAMES):
        images = rng.integers(0, 256, (5 * N, 32, 32, 3), dtype=np.uint8)
        np.save(folder / f"{name}.npy", images)
        if index == 0:
            with torch.no_grad():
                predicted = model(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()).argmax(1).numpy()
            severity, position = np.repeat(np.arange(1, 6), N), np.tile(np.arange(N), 5)
            right = (severity % 2 == 1) == (position < N // 2)
            labels = np.where(right, predicted, (predicted + 1) % 10)
    np.save(folder / "labels.npy", labels.astype(np.uint8))
    # the second corruption reuses the first one's images, so the same labels hold for it
    np.save(folder / f"{NAMES[1]}.npy", np.load(folder / f"{NAMES[0]}.npy"))


def test_published_files_are_used_when_present_and_recorded(tmp_path, data_root, repo_root):
    run = tmp_path / "run"
    model = make_run(run, data_root, repo_root)
    write_published(data_root / "CIFAR-10-C", model)
    result = evaluate_runs([run], "cifar10-c", limit=N, corruptions=NAMES, device="cpu", prefer_published=True)
    record = result[str(run)]
    assert record["source_kind"] == "published" and str(data_root / "CIFAR-10-C") in record["source"]
    assert record["corruptions"] == {name: {str(s): 50.0 for s in range(1, 6)} for name in NAMES}
    assert record["robustness_accuracy"] == pytest.approx(50.0)
    saved = json.loads((run / "robustness" / f"cifar10-c.limit{N}.only-{'+'.join(NAMES)}.json").read_text())
    assert saved["source_kind"] == "published"
    # `limit` scores the first images of each severity only
    assert evaluate_runs([run], "cifar10-c", limit=N // 2, corruptions=NAMES, device="cpu",
                         prefer_published=True)[str(run)]["corruptions"][NAMES[0]] == {
        "1": 100.0, "2": 0.0, "3": 100.0, "4": 0.0, "5": 100.0}
    # without the preference, or without the folder, the suite is generated on the fly
    fly = evaluate_runs([run], "cifar10-c", limit=N, corruptions=NAMES[:1], device="cpu")[str(run)]
    assert fly["source_kind"] == "on the fly" and fly["source"] == "on the fly, seed 0"
    (data_root / "CIFAR-10-C" / "labels.npy").rename(tmp_path / "labels.npy")
    fly = evaluate_runs([run], "cifar10-c", limit=N, corruptions=NAMES[:1], device="cpu", prefer_published=True)
    assert fly[str(run)]["source_kind"] == "on the fly"


def test_a_dscr_corrupt_folder_is_told_apart(tmp_path, data_root, repo_root):
    from dscr.cli import main

    run = tmp_path / "run"
    make_run(run, data_root, repo_root)
    assert main(["corrupt", "--suite", "cifar10-c", "--root", str(data_root), "--limit", str(N), "--corruptions",
                 ",".join(NAMES), "--out", str(tmp_path / "written")]) == 0
    record = evaluate_runs([run], "cifar10-c", limit=N, corruptions=NAMES, device="cpu",
                           from_dir=str(tmp_path / "written"))[str(run)]
    assert record["source_kind"] == "dscr corrupt"


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "labels.npy").unlink(), "no labels.npy"),
    (lambda f: (f / "fog.npy").unlink(), "missing fog.npy"),
    (lambda f: np.save(f / "fog.npy", np.zeros((5 * N - 1, 32, 32, 3), np.uint8)), "5 severities"),
    (lambda f: np.save(f / "fog.npy", np.zeros((5 * N, 32, 32, 3), np.float32)), "expected uint8"),
    (lambda f: (f / "fog.npy").write_bytes(b"not an array"), "not a readable .npy array"),
])
def test_a_bad_published_folder_is_one_clear_error_and_writes_nothing(tmp_path, data_root, repo_root, damage,
                                                                       message):
    run = tmp_path / "run"
    model = make_run(run, data_root, repo_root)
    folder = tmp_path / "published"
    write_published(folder, model)
    damage(folder)
    with pytest.raises(DscrError, match=message):
        evaluate_runs([run], "cifar10-c", limit=N, corruptions=NAMES, device="cpu", from_dir=str(folder))
    assert not (run / "robustness").exists()


def test_pipeline_evaluate_prefers_the_published_files(tmp_path, data_root, repo_root, monkeypatch):
    from dscr.cli import pipeline

    run = tmp_path / "run"
    model = make_run(run, data_root, repo_root, f"data.test_subset={N // 2}")  # evaluated on its own 6 images
    write_published(data_root / "CIFAR-10-C", model)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"profiles": ["full"], "full": {
        "train_overrides": {}, "evaluate": {"seed": 0}}}))
    from dscr import corrupt

    suite = corrupt.get_suite("cifar10-c")  # the suite reduced to the two corruptions of the fake files
    monkeypatch.setattr(suite, "table", {name: suite.table[name] for name in NAMES})
    assert pipeline.evaluate(SimpleNamespace(profile="full", run_dir=str(run), suite="cifar10-c", from_dir="")) == 0
    record = json.loads((run / "robustness" / "cifar10-c.json").read_text())
    assert record["source_kind"] == "published" and record["robustness_accuracy"] == pytest.approx(60.0)
