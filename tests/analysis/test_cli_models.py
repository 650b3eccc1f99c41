"""Frequency, filter and Grad-CAM analyses end to end on tiny CIFAR-10 runs: outputs exist and hold the numbers
they claim."""

import json

import pytest
import torch

from dscr.analysis.frequency import full_radius
from dscr.config import DscrError
from dscr.engine.checkpoint import load_checkpoint

from .cli_helpers import run_analyze


def test_frequency_curves_end_at_clean_accuracy_over_training(tiny_runs, tmp_path):
    assert run_analyze("frequency", tiny_runs["dense"], tiny_runs["set"], "--limit", "64", "--radius-step", "6",
                       "--during-training", "--out", tmp_path, "--device", "cpu") == 0
    data = json.loads((tmp_path / "frequency.json").read_text())
    top = str(full_radius(32, 32))
    final = data["final"]
    assert set(final) == {"Dense", "SET s=0.5"}
    for label, res in final.items():
        assert res["low"][top] == res["clean"] == res["high"]["0"]
    # the final model's clean accuracy over 64 images equals the last epoch's checkpoint sweep
    assert set(data["training"]["SET s=0.5"]) == {"1", "2"}
    assert data["training"]["SET s=0.5"]["2"]["clean"] == final["SET s=0.5"]["clean"]
    metrics = json.loads((tiny_runs["dense"] / "metrics.json").read_text())
    assert metrics["history"][-1]["test_accuracy"] == pytest.approx(final["Dense"]["clean"])
    for name in ("frequency.md", "frequency.csv", "frequency.png", "frequency_training.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert f"| Dense | low-pass |" in (tmp_path / "frequency.md").read_text()


def test_filters_counts_match_the_sparse_weights(tiny_runs, tmp_path):
    layer = "net.5.conv2"  # the widest 3x3 conv: ERK leaves the small first ones dense
    assert run_analyze("filters", tiny_runs["dense"], tiny_runs["set"], "--layers", layer, "--out", tmp_path,
                       "--device", "cpu") == 0
    stats = json.loads((tmp_path / "filters.json").read_text())
    weight = load_checkpoint(tiny_runs["set"] / "checkpoints/last.pt")["model"][f"{layer}.weight"]
    points = stats["SET s=0.5"][layer]
    assert len(points["nonzero"]) == weight.shape[0] * weight.shape[1]
    assert sum(points["nonzero"]) == int(weight.count_nonzero()) < weight.numel()
    assert sum(points["l1"]) == pytest.approx(float(weight.abs().sum()), rel=1e-5)
    assert sum(stats["Dense"][layer]["nonzero"]) == weight.numel()  # dense: every kernel full
    assert (tmp_path / "filters.png").stat().st_size > 0
    with pytest.raises(DscrError, match="net.5.conv2"):
        run_analyze("filters", tiny_runs["set"], "--layers", "net.99", "--out", tmp_path, "--device", "cpu")


def test_gradcam_grid_and_areas(tiny_runs, tmp_path):
    assert run_analyze("gradcam", tiny_runs["dense"], tiny_runs["set"], "--images", "2", "--corruptions",
                       "gaussian_noise", "--severity", "5", "--out", tmp_path, "--device", "cpu") == 0
    rows = json.loads((tmp_path / "gradcam.json").read_text())
    assert {(r["model"], r["condition"]) for r in rows} == {(m, c) for m in ("Dense", "SET s=0.5")
                                                            for c in ("clean", "gaussian_noise s5")}
    assert all(0.0 <= float(r["mean highlighted area"]) <= 1.0 for r in rows)
    assert (tmp_path / "gradcam.png").stat().st_size > 10_000
    with pytest.raises(DscrError, match="allowed: gaussian_noise"):
        run_analyze("gradcam", tiny_runs["dense"], "--corruptions", "rain", "--out", tmp_path, "--device", "cpu")


def test_gradcam_maps_follow_the_model():
    """Images that are black on their right half through a bias-free conv: the class evidence (and so the map)
    lies on the left half only, and the map explains the class asked for."""
    from torch import nn

    from dscr.analysis.gradcam import gradcam_maps, highlighted_area

    model = nn.Sequential(nn.Conv2d(3, 2, 1, bias=False), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]]).view(2, 3, 1, 1))
    images = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    images[..., 4:] = 0
    maps = gradcam_maps(model, images, torch.tensor([0, 0]))
    assert maps.shape == (2, 8, 8)
    assert maps[:, :, 4:].max() == 0 and maps[:, :, :4].max() > 0.99
    assert (highlighted_area(maps) <= 0.5).all()
    # class 1 reads the channel that ReLU zeroes everywhere: nothing to highlight
    assert gradcam_maps(model, images, torch.tensor([1, 1])).max() == 0
