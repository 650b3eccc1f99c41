"""Scoring-only speed-ups of `evaluate_runs`: BatchNorm folded into the convolutions gives the same logits."""

import torch
from torch import nn

from dscr.config import load_config
from tasks.classification import train
from tasks.classification.config import TrainConfig
from tasks.classification.data import Classifier
from tasks.classification.evaluate import CPU_SCORE_CHUNK, array_test_batches, fold_batchnorm, load_run, predictor

TINY = ["epochs=1", "batch_size=32", "data.train_subset=128", "data.test_subset=64", "model.kwargs={width: 4}",
        "threads=1", "device=cpu"]


def test_folded_batchnorm_gives_the_trained_models_logits(repo_root, cifar10_root, tmp_path):
    cfg = load_config(TrainConfig, repo_root / "tasks/classification/configs/smoke.yaml",
                      TINY + [f"data.root={cifar10_root}", f"out_dir={tmp_path}", "name=run", "dst.algorithm=set"])
    train.main(cfg)
    model, run_cfg = load_run(tmp_path / "run", torch.device("cpu"))
    images, _ = array_test_batches("cifar10", cifar10_root, 64, 64, torch.device("cpu"))[0]
    with torch.no_grad():
        expected = model(images)
        # BatchNorm in eval mode by hand: (x - mean) / sqrt(var + eps) * gamma + beta, on the unfolded model
        first_conv, first_bn = model.net[0], model.net[1]
        x = (images.float() - model.mean) * model.inv_std
        by_hand = (first_conv(x) - first_bn.running_mean[:, None, None]) / torch.sqrt(
            first_bn.running_var[:, None, None] + first_bn.eps) * first_bn.weight[:, None, None] \
            + first_bn.bias[:, None, None]
    batchnorms = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    pruned = model.net[5].conv2.weight == 0  # the largest convolution: ERK prunes it most
    folded = fold_batchnorm(model, run_cfg.channels_last)
    assert batchnorms == 9 and not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    with torch.no_grad():
        torch.testing.assert_close(folded(images), expected, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(folded.net.get_submodule("0")(x), by_hand, rtol=1e-4, atol=1e-4)
    assert pruned.any() and not folded.net.get_submodule("5.conv2").weight[pruned].any()  # still pruned


def test_untraceable_networks_are_scored_unfolded():
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)

        def forward(self, x):
            return self.bn(self.conv(x)) if x.sum() > 0 else x  # data-dependent: fx cannot trace it

    model = Classifier(Branchy(), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)).eval()
    net = model.net
    assert fold_batchnorm(model, channels_last=False).net is net


def test_cpu_scoring_in_chunks_gives_the_whole_batchs_logits():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(4, 10))
    model = Classifier(net, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)).eval()
    images = torch.randint(0, 256, (2 * CPU_SCORE_CHUNK + 88, 3, 8, 8), dtype=torch.uint8)  # a partial last chunk
    with torch.no_grad():
        whole = model(images)
    logits = predictor(model, torch.device("cpu"))(images)
    assert logits.shape == whole.shape
    torch.testing.assert_close(logits, whole, rtol=1e-5, atol=1e-5)
