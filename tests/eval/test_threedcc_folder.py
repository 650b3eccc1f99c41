"""`dscr evaluate --suite imagenet-3dcc --from DIR` on a folder in the official ImageNet-3DCC layout
(tools/download_imagenet_3dcc.sh: <corruption>/<severity>/<class>/<image>): the paper's 11 corruptions make the
robustness accuracy, a corruption the release has beyond them (h265_crf) is scored and recorded on its own."""

from __future__ import annotations

import json
from statistics import mean

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from dscr.config import DscrError, load_config, to_dict
from dscr.engine.checkpoint import save_checkpoint
from tasks.classification.config import TrainConfig
from tasks.classification.evaluate import evaluate_runs
from tasks.classification.train import build_model

# tools/download_imagenet_3dcc.sh of EPFL-VILAB/3DCommonCorruptions, in its order
OFFICIAL = ["near_focus", "far_focus", "fog_3d", "flash", "color_quant", "low_light", "xy_motion_blur",
            "z_motion_blur", "iso_noise", "bit_error", "h265_abr", "h265_crf"]
CLASSES = ["n01440764", "n01443537"]


def _images(folder, rng):
    for cls in CLASSES:
        (folder / cls).mkdir(parents=True)
        for k in range(2):
            Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(folder / cls / f"{k}.png")


@pytest.fixture()
def layout(tmp_path, repo_root):
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    for split in ("train", "val"):
        _images(root / "imagenet" / split, rng)
    official = tmp_path / "ImageNet-3DCC"
    for name in OFFICIAL:
        for severity in range(1, 6):
            _images(official / name / str(severity), rng)
    (official / "motion_blur_vid").mkdir()  # the reference's intermediate videos: no severity folders
    cfg = load_config(TrainConfig, repo_root / "tasks/classification/configs/smoke.yaml",
                      [f"data.root={root}", "data.name=imagenet", "data.image_size=32", "data.augment=none",
                       "model.kwargs={width: 4}", "device=cpu", "data.num_workers=0"])
    run = tmp_path / "run"
    torch.manual_seed(0)
    save_checkpoint(run / "checkpoints" / "last.pt", {"model": build_model(cfg).state_dict()})
    (run / "config.yaml").write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
    return run, official


def test_every_official_corruption_is_scored_and_the_paper_eleven_make_the_mean(layout):
    run, official = layout
    record = evaluate_runs([run], "imagenet-3dcc", from_dir=str(official), device="cpu", batch_size=4)[str(run)]
    assert list(record["corruptions"]) == OFFICIAL[:11]
    assert all(list(v) == ["1", "2", "3", "4", "5"] for v in record["corruptions"].values())
    cells = [a for per_severity in record["corruptions"].values() for a in per_severity.values()]
    assert record["robustness_accuracy"] == pytest.approx(mean(cells))
    extra = record["extra_corruptions"]
    assert list(extra) == ["h265_crf"] and extra["h265_crf"]["mean"] == pytest.approx(
        mean(extra["h265_crf"]["severities"].values()))
    assert record["source_kind"] == "published"
    assert json.loads((run / "robustness" / "imagenet-3dcc.json").read_text())["extra_corruptions"] == extra


def test_a_missing_corruption_folder_is_one_clear_error(layout):
    run, official = layout
    for image in (official / "flash" / "3").rglob("*.png"):
        image.unlink()
    for folder in sorted((official / "flash" / "3").rglob("*"), reverse=True):
        folder.rmdir()
    (official / "flash" / "3").rmdir()
    with pytest.raises(DscrError, match="flash/3"):
        evaluate_runs([run], "imagenet-3dcc", from_dir=str(official), device="cpu", batch_size=4)
    assert not (run / "robustness").exists()


def test_imagenet_c_bar_folders_are_read_under_their_published_severity_names(layout, tmp_path):
    # ImageNet-C-bar's release names severity folders by the corruption's parameter (e.g. caustic_refraction/2.35)
    from dscr import corrupt

    run, _ = layout
    suite = corrupt.get_suite("imagenet-c-bar")
    folder = tmp_path / "ImageNet-C-bar"
    rng = np.random.default_rng(1)
    for name in suite.corruptions:
        for severity in suite.severities:
            _images(folder / name / suite.corruption(name).severity_dir(severity), rng)
    assert (folder / "caustic_refraction" / "2.35").is_dir()
    record = evaluate_runs([run], "imagenet-c-bar", from_dir=str(folder), device="cpu", batch_size=4)[str(run)]
    assert list(record["corruptions"]["caustic_refraction"]) == ["1", "2", "3", "4", "5"]
    assert "extra_corruptions" not in record


def test_pipeline_evaluate_reports_test_sets_without_a_corruption_source(layout, tmp_path, monkeypatch, capsys):
    # ImageNet-R (Tables 10-11) goes through the same stage; its record has no corrupted images to name
    from types import SimpleNamespace

    from dscr.cli import pipeline

    run, _ = layout
    root = tmp_path / "data"
    _images(root / "imagenet-r", np.random.default_rng(2))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"profiles": ["full"], "full": {
        "train_overrides": {}, "evaluate": {"seed": 0}}}))
    assert pipeline.evaluate(SimpleNamespace(profile="full", run_dir=str(run), suite="imagenet-r", from_dir="")) == 0
    assert "(test set)" in capsys.readouterr().out
