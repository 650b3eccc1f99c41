"""The UCF101 protocol of Schiappa et al. (2023), Maddy12/ActionRecognitionRobustnessEval, where the paper is
silent: SGD dampening (main.py), ImageNet normalisation, RandomResizedCrop scale 0.5-1 and the segment-start
frames when training, one centre clip of the whole central square per test video (core/build_dataset.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dscr.config import ConfigError, load_config
from dscr.engine.crops import random_resized_box
from dscr.engine.optim import OptimConfig, build_optimizer
from tasks.video.config import VideoTrainConfig
from tasks.video.data import UCF101, item_generator, read_frames
from tasks.video.evaluate import build_model


def schiappa_frames(length: int, frames: int) -> list[int]:
    """core/build_dataset.py sample_frames as it runs (fix_start False is not None): each segment's start."""
    intervals = np.linspace(start=0, stop=length, num=frames + 1).astype(int)
    return [int(start) for start in intervals[:-1]]


@pytest.fixture(scope="module")
def r3d50_config(repo_root):
    return load_config(VideoTrainConfig, repo_root / "tasks/video/configs/ucf101_r3d50.yaml")


def test_configs_follow_schiappa_where_the_paper_is_silent(r3d50_config, repo_root):
    for cfg in (r3d50_config, load_config(VideoTrainConfig, repo_root / "tasks/video/configs/ucf101_i3d.yaml")):
        d = cfg.data
        assert (cfg.optim.dampening, cfg.optim.nesterov) == (0.9, False)
        assert (d.normalize, d.train_crop_scale, d.train_jitter) == ("imagenet", [0.5, 1.0], False)
        assert (d.test_clips, d.test_offset, d.short_side, d.crop_size) == (1, 0.0, 224, 224)
    with pytest.raises(ConfigError, match="Nesterov momentum needs dampening 0"):
        load_config(VideoTrainConfig, repo_root / "tasks/video/configs/ucf101_r3d50.yaml", ["optim.nesterov=true"])


def test_sgd_dampening_scales_the_gradient_into_the_momentum():
    def after_two_steps(dampening: float) -> float:
        weight = nn.Parameter(torch.zeros(1))
        opt = build_optimizer(OptimConfig(lr=0.1, momentum=0.9, dampening=dampening, weight_decay=0.0),
                              nn.ParameterList([weight]))
        for _ in range(2):
            weight.grad = torch.ones(1)
            opt.step()
        return weight.item()

    # buffer: g at the first step, then 0.9 b + (1 - dampening) g: 1, then 1.0 (dampened) or 1.9 (not)
    assert after_two_steps(0.9) == pytest.approx(-0.1 - 0.1 * 1.0)
    assert after_two_steps(0.0) == pytest.approx(-0.1 - 0.1 * 1.9)


def test_imagenet_normalisation(repo_root):
    cfg = load_config(VideoTrainConfig, repo_root / "tasks/video/configs/ucf101_r3d50.yaml",
                      ["model.kwargs={width: 4}", "data.frames=2", "data.crop_size=32", "data.short_side=32"])
    model = build_model(cfg, num_classes=3)
    seen = {}
    model.net = nn.Module()
    model.net.forward = lambda x: seen.setdefault("x", x)
    model(torch.full((1, 3, 2, 4, 4), 200, dtype=torch.uint8))
    # (200 / 255 - mean) / std with ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)
    assert seen["x"][0, :, 0, 0, 0].tolist() == pytest.approx([1.307047, 1.465686, 1.681394], abs=1e-5)


@pytest.mark.parametrize("length", [16, 30, 47, 151])
def test_one_test_clip_at_the_segment_starts(ucf_root, length):
    ds = UCF101(ucf_root, 1, train=False, frames=8, crop_size=40, short_side=40, clips=1, offset=0.0)
    assert ds.frame_indices(0, length, item_generator(0)).tolist() == [schiappa_frames(length, 8)]
    train = UCF101(ucf_root, 1, train=True, frames=8, crop_size=32, short_side=40, offset=0.0, jitter=False)
    assert train.frame_indices(0, length, item_generator(0)).tolist() == [schiappa_frames(length, 8)]


def test_the_test_view_is_the_whole_central_square(ucf_root):
    ds = UCF101(ucf_root, 1, train=False, frames=4, crop_size=40, short_side=40, clips=1, offset=0.0)
    clip, _ = ds[0]
    frames = read_frames(ds.video_root / ds.items[0].path, schiappa_frames(16, 4))  # (4, 40, 48, 3)
    assert torch.equal(clip[0], frames[:, :, 4:44].permute(3, 0, 1, 2))


def test_random_resized_box_draws_area_half_to_all_at_aspect_three_quarters_to_four_thirds():
    g = torch.Generator().manual_seed(0)
    boxes = [random_resized_box(240, 320, g, scale=(0.5, 1.0)) for _ in range(2000)]
    tops, lefts, hs, ws = (torch.tensor(v, dtype=torch.float64) for v in zip(*boxes))
    assert bool(((tops >= 0) & (lefts >= 0) & (tops + hs <= 240) & (lefts + ws <= 320)).all())
    area = hs * ws / (240 * 320)
    assert area.min() > 0.49 and area.max() <= 1.0 and area.mean() > 0.6
    aspect = ws / hs
    assert aspect.min() > 0.74 and aspect.max() < 1.35


def test_train_items_use_the_random_resized_crop(ucf_root):
    ds = UCF101(ucf_root, 1, train=True, frames=4, crop_size=24, short_side=40, seed=3, offset=0.0, jitter=False,
                crop_scale=(0.5, 1.0))
    clip, _ = ds[1]
    assert clip.shape == (3, 4, 24, 24) and clip.dtype == torch.uint8
    assert torch.equal(clip, ds[1][0])  # deterministic per (seed, epoch, index)
    # scale 1: the box is the whole 40 x 48 frame (aspect 1.2 is within 3/4-4/3), squeezed to 24 x 24
    ds.crop_scale = (1.0, 1.0)
    frames = read_frames(ds.video_root / ds.items[1].path, schiappa_frames(16, 4)).permute(3, 0, 1, 2).float()
    whole = nn.functional.interpolate(frames, size=(24, 24), mode="bilinear", antialias=True)
    whole = whole.round().clamp(0, 255).to(torch.uint8)
    clip = ds[1][0]
    assert torch.equal(clip, whole) or torch.equal(clip, whole.flip(-1))
