"""Every scenario config holds its row of the appendix's Table 3 (typed in here from the paper), and GraNet's
gradual pruning matches the row's sparsity distribution (per layer under uniform, global under ERK)."""

import pytest

from dscr.config import load_config
from tasks.classification.config import TrainConfig
from tasks.video.config import VideoTrainConfig

# config, epochs, LR, batch, LR schedule, optimizer, weight decay, distribution, ΔT, prune-rate decay, P
TABLE3 = [
    ("classification/configs/cifar10_vgg16.yaml", 160, 0.1, 100, "cosine", "sgd", 5e-4, "uniform", 500, 0.1),
    ("classification/configs/cifar100_resnet34.yaml", 160, 0.1, 100, "cosine", "sgd", 5e-4, "uniform", 500, 0.1),
    ("classification/configs/tinyimagenet_efficientnet_b0.yaml", 100, 0.1, 128, "cosine", "sgd", 5e-4, "uniform",
     100, 0.1),
    ("classification/configs/imagenet_resnet50.yaml", 90, 0.1, 256, "step", "sgd", 1e-4, "erk", 2000, 0.1),
    ("classification/configs/imagenet_deit_base.yaml", 200, 5e-4, 512, "cosine", "adamw", 5e-2, "uniform", 7000,
     0.5),
    ("video/configs/ucf101_r3d50.yaml", 80, 0.1, 8, "cosine", "sgd", 1e-3, "erk", 300, 0.1),
    ("video/configs/ucf101_i3d.yaml", 80, 0.1, 8, "cosine", "sgd", 1e-3, "erk", 300, 0.1),
    ("classification/configs/fashionmnist_mlp.yaml", 100, 0.025, 8, "cosine", "sgd", 5e-4, "erk", 300, 0.1),
]


@pytest.mark.parametrize("path, epochs, lr, batch, schedule, optimizer, wd, distribution, interval, rate", TABLE3)
def test_config_holds_its_table3_row(repo_root, path, epochs, lr, batch, schedule, optimizer, wd, distribution,
                                     interval, rate):
    cls = VideoTrainConfig if path.startswith("video") else TrainConfig
    cfg = load_config(cls, repo_root / "tasks" / path)
    assert (cfg.epochs, cfg.optim.lr, cfg.batch_size, cfg.lr_schedule.name, cfg.optim.name) == (
        epochs, lr, batch, schedule, optimizer)
    assert (cfg.optim.weight_decay, cfg.dst.distribution, cfg.dst.update_interval, cfg.dst.decay,
            cfg.dst.prune_rate) == (wd, distribution, interval, "polynomial", rate)
    if optimizer == "sgd":
        assert cfg.optim.momentum == 0.9  # Table 3, footnote 4
    if schedule == "step":  # footnote 1: /10 every 30 epochs until 90
        assert (cfg.lr_schedule.milestones, cfg.lr_schedule.gamma) == ([30, 60], 0.1)
    # GraNet's own code: --method GraNet_uniform (per layer) with uniform, --method GraNet (global) with ERK
    assert cfg.dst.global_pruning() == (distribution == "erk")
