"""A tiny 3D ResNet trained with SET on decoded videos, then evaluated on UCF101-C at every severity."""

from __future__ import annotations

import argparse
import json

import pytest
import torch
from torch import nn

from dscr.cli import video as video_cli
from dscr.config import ConfigError
from tasks.video.evaluate import evaluate


def dscr(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dscr")
    sub = parser.add_subparsers(dest="command", required=True)
    video_cli.add_parser(sub)
    args = parser.parse_args(argv)
    return args._run(args)


def tiny_overrides(root, out_dir, *extra):
    return [f"data.root={root}", f"out_dir={out_dir}", "data.frames=4", "data.crop_size=32", "data.short_side=32",
            "data.train_subset=0", "data.test_subset=0", "data.num_workers=0", "data.test_clips=1",
            "batch_size=4", "max_steps_per_epoch=0", "device=cpu", "threads=1", *extra]


def test_set_training_then_every_corruption_and_severity(ucf_root, tmp_path):
    torch.set_num_threads(1)
    assert dscr("train-video", "--config", "tasks/video/configs/smoke.yaml", "name=tiny",
                *tiny_overrides(ucf_root, tmp_path, "epochs=2", "dst.algorithm=set", "dst.sparsity=0.5",
                                "dst.update_interval=2", "dst.prune_rate=0.3")) == 0
    run = tmp_path / "tiny"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["steps"] == 6 and metrics["algorithm"] == "set"
    assert abs(metrics["density"]["global"] - 0.5) < 0.01
    assert metrics["mask_updates"], "SET never changed its masks"
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    weights = [w for k, w in state["model"].items() if k.endswith("weight") and w.dim() >= 2]  # conv + linear
    zeros = sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)
    assert 0.5 <= zeros < 0.55   # the saved weights are the sparse ones (regrown ones start at zero)

    assert dscr("evaluate-video", str(run), "--suite", "ucf101-c", "--workers", "0", "--test-subset", "3") == 0
    # 3 of the run's test videos: a partial evaluation, written under a name that says so.
    result = json.loads((run / "robustness" / "ucf101-c.limit3.json").read_text())
    assert result["suite"] == "ucf101-c" and result["test_videos"] == 3
    assert result["complete"] is False and result["partial"] == {"limit": 3}
    assert len(result["corruptions"]) == 16
    cells = [acc for row in result["corruptions"].values() for acc in row.values()]
    assert all(set(row) == {"1", "2", "3", "4"} for row in result["corruptions"].values())
    assert all(0.0 <= acc <= 100.0 for acc in cells)
    assert result["robustness_accuracy"] == pytest.approx(sum(cells) / 64)
    assert set(result["severity_means"]) == {"1", "2", "3", "4"}
    assert set(result["video_corruptions"]) == set(result["corruptions"])
    assert 0.0 <= result["clean_video_accuracy"] <= 100.0 and 0.0 <= result["clean_accuracy"] <= 100.0


def test_config_errors_name_the_allowed_values(ucf_root, tmp_path):
    with pytest.raises(ConfigError, match="allowed: i3d_r50, r3d50"):
        dscr("train-video", "--config", "tasks/video/configs/smoke.yaml", "model.name=c3d",
             *tiny_overrides(ucf_root, tmp_path))
    with pytest.raises(ConfigError, match="allowed: 1, 2, 3"):
        dscr("train-video", "--config", "tasks/video/configs/smoke.yaml", "data.split=4",
             *tiny_overrides(ucf_root, tmp_path))


class MeanPixelModel(nn.Module):
    """Logits [1 - m, m] from a clip's mean pixel m in [0, 1]: bright clips are class 1."""

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        m = clips.float().mean(dim=(1, 2, 3, 4)) / 255
        return torch.stack([1 - m, m], dim=1) * 10


def test_clip_accuracy_counts_clips_and_video_accuracy_averages_them():
    def clips(*levels):  # one video: K clips of constant brightness
        return torch.stack([torch.full((3, 2, 4, 4), v, dtype=torch.uint8) for v in levels])

    # video 0 (label 1): clips 200, 100, 140 -> 2 of 3 clips right, mean softmax right
    # video 1 (label 0): clips 122, 122, 255 -> 2 of 3 clips barely right (p = 0.61), one surely wrong
    # (p = 0.00005): the mean softmax is wrong
    batch = (torch.stack([clips(200, 100, 140), clips(122, 122, 255)]), torch.tensor([1, 0]))
    result = evaluate(MeanPixelModel(), [batch], torch.device("cpu"))
    assert result["clip_accuracy"] == pytest.approx(100 * 4 / 6)
    assert result["video_accuracy"] == pytest.approx(50.0)
    assert result["clips"] == 6 and result["videos"] == 2


def test_video_accuracy_averages_clip_softmax_not_logits():
    # One video (label 0) of clips with brightness 89, 89, 255: MeanPixelModel's logit gap (class 1 - class 0) is
    # 10 * (2m - 1) = -3.02, -3.02, +10. Averaging logits: +1.32 -> class 1 (wrong). Averaging softmax:
    # p1 = (0.0466 + 0.0466 + 0.99995) / 3 = 0.364 -> class 0 (right).
    clips = torch.stack([torch.full((3, 2, 4, 4), v, dtype=torch.uint8) for v in (89, 89, 255)])
    result = evaluate(MeanPixelModel(), [(clips[None], torch.tensor([0]))], torch.device("cpu"))
    assert result["video_accuracy"] == 100.0
    assert result["clip_accuracy"] == pytest.approx(100 * 2 / 3)
