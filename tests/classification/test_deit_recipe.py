"""DeiT's recipe (Touvron et al. 2021, facebookresearch/deit main.py defaults) where Table 3 is silent: the
DeiT-base config holds it, and each part does what DeiT's does on tiny models and data."""

import random

import numpy as np
import pytest
import torch
from PIL import Image
from timm.models.vision_transformer import VisionTransformer

from dscr.config import DscrError, from_dict, load_config
from dscr.engine.optim import LRScheduleConfig, OptimConfig, build_lr_schedule, build_optimizer
from tasks.classification.batch_augment import BatchAugment, build_criterion
from tasks.classification.config import TrainConfig
from tasks.classification.data import Classifier, folder_dataset, folder_loader
from tasks.classification.datasets import get_info
from tasks.classification.models import create_model

CIFAR = get_info("cifar10")


def test_deit_config_holds_deits_recipe(repo_root):
    cfg = load_config(TrainConfig, repo_root / "tasks/classification/configs/imagenet_deit_base.yaml")
    # Table 3
    assert (cfg.epochs, cfg.batch_size, cfg.optim.name, cfg.optim.lr, cfg.optim.weight_decay,
            cfg.lr_schedule.name) == (200, 512, "adamw", 5e-4, 0.05, "cosine")
    # DeiT main.py: --aa rand-m9-mstd0.5-inc1 --train-interpolation bicubic --reprob 0.25 --repeated-aug (x3)
    # --mixup 0.8 --cutmix 1.0 --mixup-prob 1.0 --mixup-switch-prob 0.5 --smoothing 0.1 --drop-path 0.1
    # --warmup-epochs 5 --warmup-lr 1e-6 --min-lr 1e-5, timm's create_optimizer (filter_bias_and_bn)
    d = cfg.data
    assert (d.augment, d.rand_augment, d.interpolation, d.random_erasing, d.repeat_aug) == (
        "imagenet", "rand-m9-mstd0.5-inc1", "bicubic", 0.25, 3)
    assert (cfg.mixup_alpha, cfg.cutmix_alpha, cfg.mixup_prob, cfg.mixup_switch_prob, cfg.label_smoothing) == (
        0.8, 1.0, 1.0, 0.5, 0.1)
    assert cfg.model.drop_path == 0.1 and cfg.optim.filter_bias_and_bn
    assert cfg.lr_schedule.warmup_epochs == 5
    assert cfg.optim.lr * cfg.lr_schedule.warmup_start == pytest.approx(1e-6)
    assert cfg.optim.lr * cfg.lr_schedule.min_factor == pytest.approx(1e-5)


def test_no_weight_decay_on_norms_biases_position_embedding_and_class_token():
    torch.manual_seed(0)
    vit = VisionTransformer(img_size=16, patch_size=8, embed_dim=16, depth=1, num_heads=2, num_classes=3)
    model = Classifier(vit, CIFAR.mean, CIFAR.std)
    names = {id(p): n for n, p in model.named_parameters()}
    opt = build_optimizer(OptimConfig(name="adamw", lr=5e-4, weight_decay=0.05, filter_bias_and_bn=True), model)
    groups = {g["weight_decay"]: sorted(names[id(p)] for p in g["params"]) for g in opt.param_groups}
    block = "net.blocks.0."
    assert groups[0.0] == sorted(["net.cls_token", "net.pos_embed", "net.patch_embed.proj.bias",
                                  block + "norm1.weight", block + "norm1.bias", block + "attn.qkv.bias",
                                  block + "attn.proj.bias", block + "norm2.weight", block + "norm2.bias",
                                  block + "mlp.fc1.bias", block + "mlp.fc2.bias", "net.norm.weight",
                                  "net.norm.bias", "net.head.bias"])
    assert groups[0.05] == sorted(["net.patch_embed.proj.weight", block + "attn.qkv.weight",
                                   block + "attn.proj.weight", block + "mlp.fc1.weight", block + "mlp.fc2.weight",
                                   "net.head.weight"])
    plain = build_optimizer(OptimConfig(name="adamw", lr=5e-4, weight_decay=0.05), model)
    assert [g["weight_decay"] for g in plain.param_groups] == [0.05]
    assert len(plain.param_groups[0]["params"]) == len(names)


def test_warmup_start_and_cosine_floor():
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=5e-4)
    schedule = build_lr_schedule(LRScheduleConfig(name="cosine", warmup_epochs=2, warmup_start=0.002,
                                                  min_factor=0.02), opt, steps_per_epoch=10, epochs=10)
    factors = {}
    for step in range(101):
        factors[step] = opt.param_groups[0]["lr"] / 5e-4
        opt.step()
        schedule.step()
    # linear from 0.002 over 20 steps, then 0.02 + 0.98 * (1 + cos(pi * (t - 20) / 80)) / 2
    assert factors[0] == pytest.approx(0.002) and factors[10] == pytest.approx(0.501)
    assert factors[20] == pytest.approx(1.0) and factors[60] == pytest.approx(0.51)
    assert factors[100] == pytest.approx(0.02)


def augment(**settings):
    cfg = from_dict(TrainConfig, settings)
    return BatchAugment(cfg, 10, CIFAR.mean, CIFAR.std, torch.device("cpu"), per_rank_batch=4), cfg


def test_random_erasing_rate_and_noise_in_the_normalised_space():
    random.seed(0)
    torch.manual_seed(0)
    batch_augment, _ = augment(data={"random_erasing": 0.25})
    images = torch.full((400, 3, 16, 16), 128, dtype=torch.uint8)
    out, labels = batch_augment(images, torch.zeros(400, dtype=torch.long))
    changed = out != 128 / 255
    erased = changed.flatten(1).any(1)
    assert 0.18 < erased.float().mean() < 0.32  # p = 0.25 per image, 400 images
    mean, std = torch.tensor(CIFAR.mean).view(1, 3, 1, 1), torch.tensor(CIFAR.std).view(1, 3, 1, 1)
    seen_by_model = ((out - mean) / std)[changed]
    assert abs(seen_by_model.mean()) < 0.05 and abs(seen_by_model.std() - 1) < 0.05  # N(0, 1), as DeiT's
    assert labels.dtype == torch.long


def test_mixup_and_cutmix_switch_with_label_smoothed_soft_targets():
    np.random.seed(0)
    batch_augment, cfg = augment(mixup_alpha=0.8, cutmix_alpha=1.0, label_smoothing=0.1)
    g = torch.Generator().manual_seed(0)
    # images 0-1 below 128, images 2-3 above: an image and its partner never share a pixel value
    images = torch.cat([torch.randint(0, 128, (2, 3, 8, 8), generator=g),
                        torch.randint(128, 256, (2, 3, 8, 8), generator=g)]).to(torch.uint8)
    labels = torch.tensor([0, 1, 2, 3])
    x, partner = images.float() / 255, images.flip(0).float() / 255  # timm pairs image i with image n-1-i
    cutmix = 0
    for _ in range(300):
        out, targets = batch_augment(images, labels)
        assert torch.allclose(targets.sum(1), torch.ones(4))
        lam = (targets[0, 0].item() - 0.1 / 10) / 0.9  # smoothing 0.1 over 10 classes: 0.91 / 0.01
        from_x, from_partner = torch.isclose(out[0], x[0]), torch.isclose(out[0], partner[0])
        if bool((from_x | from_partner).all()):  # CutMix: every pixel is one image's; lam = their area share
            cutmix += 1
            assert from_x[0].float().mean().item() == pytest.approx(lam, abs=1e-5)
        else:  # Mixup: a blend with weight lam
            assert torch.allclose(out, lam * x + (1 - lam) * partner, atol=1e-5)
    assert 0.4 < cutmix / 300 < 0.6  # mixup_switch_prob 0.5
    assert isinstance(build_criterion(cfg, batch_augment.soft_targets), torch.nn.Module)


def test_table9_mixup_is_plain_mixup_with_hard_label_weights():
    np.random.seed(1)
    batch_augment, cfg = augment(mixup_alpha=1.0)
    images = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    x = images.float() / 255
    for _ in range(50):
        out, targets = batch_augment(images, torch.tensor([0, 1, 2, 3]))
        lam = targets[0, 0].item()
        assert targets[0, 3].item() == pytest.approx(1 - lam, abs=1e-6)
        assert torch.allclose(out, lam * x + (1 - lam) * x.flip(0), atol=1e-6)
    loss = build_criterion(cfg, True)(torch.zeros(4, 10), targets)
    assert loss.item() == pytest.approx(np.log(10), rel=1e-6)  # uniform logits: cross-entropy log K
    with pytest.raises(DscrError, match="must be even"):
        BatchAugment(cfg, 10, CIFAR.mean, CIFAR.std, torch.device("cpu"), per_rank_batch=5)


@pytest.fixture
def image_folder(tmp_path):
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for c in ("n01", "n02"):
            folder = tmp_path / "imagenet" / split / c
            folder.mkdir(parents=True)
            for i in range(3):
                Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return tmp_path


def test_rand_augment_is_deits_policy_through_timm(image_folder):
    info = get_info("imagenet")
    train = folder_dataset(info, str(image_folder), "train", 32, "imagenet", rand_augment="rand-m9-mstd0.5-inc1",
                           interpolation="bicubic")
    crop, flip, rand_augment, to_tensor = train.transform.transforms
    assert (crop.scale, crop.size, crop.interpolation.value) == ((0.08, 1.0), (32, 32), "bicubic")
    assert flip.p == 0.5 and type(to_tensor).__name__ == "PILToTensor"
    # rand-m9-mstd0.5-inc1: 2 ops per image, each applied with p 0.5 at magnitude 9 (std 0.5), from the
    # 'increasing' op set (timm's _RAND_INCREASING_TRANSFORMS, the one DeiT used)
    assert rand_augment.num_layers == 2
    assert sorted(op.name for op in rand_augment.ops) == sorted([
        "AutoContrast", "Equalize", "Invert", "Rotate", "PosterizeIncreasing", "SolarizeIncreasing",
        "SolarizeAdd", "ColorIncreasing", "ContrastIncreasing", "BrightnessIncreasing", "SharpnessIncreasing",
        "ShearX", "ShearY", "TranslateXRel", "TranslateYRel"])
    assert {(op.prob, op.magnitude, op.magnitude_std) for op in rand_augment.ops} == {(0.5, 9, 0.5)}
    image, label = train[0]
    assert image.shape == (3, 32, 32) and image.dtype == torch.uint8 and label == 0
    val = folder_dataset(info, str(image_folder), "val", 32, "none", interpolation="bicubic")
    assert str(val.transform.transforms[0].interpolation) == "InterpolationMode.BICUBIC"
    with pytest.raises(DscrError, match="augment: imagenet"):
        from_dict(TrainConfig, {"data": {"rand_augment": "rand-m9-mstd0.5-inc1", "augment": "crop_flip"}})


def test_repeated_augmentation_shows_each_image_three_times():
    dataset = torch.utils.data.TensorDataset(torch.arange(512))
    loader = folder_loader(dataset, 64, torch.device("cpu"), train=True, num_workers=0, seed=0, rank=0,
                           world_size=1, repeat_aug=3)
    loader.set_epoch(0)
    seen = torch.cat([batch[0] for batch in loader.loader])
    assert len(seen) == 512  # an epoch keeps the dataset's length (a multiple of 256)
    triples = seen[:510].view(-1, 3)
    assert (triples == triples[:, :1]).all() and len(set(triples[:, 0].tolist())) == 170


def test_drop_path_reaches_timm_and_is_refused_where_a_model_has_none(monkeypatch):
    import timm

    calls = {}
    monkeypatch.setattr(timm, "create_model", lambda name, **kwargs: calls.update(name=name, **kwargs))
    create_model("deit_base", 10, drop_path=0.1)
    assert calls["name"] == "deit_base_patch16_224" and calls["drop_path_rate"] == 0.1
    with pytest.raises(DscrError, match="resnet18' has no stochastic depth"):
        create_model("resnet18", 10, drop_path=0.1)
