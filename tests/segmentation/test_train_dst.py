"""The mmengine Runner trains the tiny FCN with DSTHook: masks hold, gradients reach the sparsifier, resume is exact."""

from __future__ import annotations

import shutil

import pytest
import torch

from dscr.config import ConfigError
from tasks.segmentation import train
from tasks.segmentation.hooks import DSTHook

from .conftest import smoke_config


def dst_hook(runner) -> DSTHook:
    (hook,) = [h for h in runner.hooks if isinstance(h, DSTHook)]
    return hook


def test_masks_hold_after_training(smoke_run):
    sparsifier = dst_hook(smoke_run).sparsifier
    backbone = smoke_run.model.backbone
    weights = dict(backbone.named_parameters())
    assert set(sparsifier.masks) == {n for n in weights if n.endswith("weight")}  # every backbone conv
    total = sum(m.numel() for m in sparsifier.masks.values())
    nonzero = 0
    for name, mask in sparsifier.masks.items():
        assert torch.all(weights[name][mask == 0] == 0), name  # pruned weights stayed exactly zero
        nonzero += int(mask.sum())
    assert nonzero == round(0.5 * total)
    assert sparsifier.step_count == smoke_run.max_iters == 4
    updates = [e for e in sparsifier.update_log if e["step"] > 0]
    assert [e["step"] for e in updates] == [2]  # ΔT = 2; the final step is not an update
    assert updates[0]["pruned"] > 0 and updates[0]["grown"] > 0
    assert all(p.count_nonzero() == p.numel() for n, p in smoke_run.model.decode_head.named_parameters()
               if n.endswith("conv.weight"))  # the head stays dense


def test_checkpoint_holds_dst_state(smoke_run):
    from tasks.segmentation.checkpoint import load_trusted_local

    state = load_trusted_local(str(smoke_run.work_dir + "/epoch_2.pth"), map_location="cpu")
    masks = dst_hook(smoke_run).sparsifier.masks
    assert state["dst_state"]["step"] == 4
    assert all(torch.equal(state["dst_state"]["masks"][n], m.bool()) for n, m in masks.items())
    assert "rng_state" in state


def test_mmengine_checkpoint_needs_the_trusted_loader(smoke_run):
    # torch >= 2.6 loads weights-only by default, which rejects mmengine's pickled objects; that is why
    # tasks.segmentation.checkpoint replaces mmengine's local loader.
    with pytest.raises(Exception, match="(?i)weights.only|unpickl"):
        torch.load(smoke_run.work_dir + "/epoch_2.pth", map_location="cpu")


def test_gradient_regrowth_sees_gradients(voc_tiny, tmp_path):
    # RigL raises if .grad is empty at an update step: stepping the sparsifier in after_train_iter (after
    # mmengine's zero_grad) would fail here.
    torch.set_num_threads(1)
    runner = train.main(smoke_config(voc_tiny, tmp_path / "rigl", "dst.algorithm=rigl"))
    assert dst_hook(runner).sparsifier.update_log[-1]["grown"] > 0


def test_resume_equals_uninterrupted(smoke_run, voc_tiny, tmp_path):
    torch.set_num_threads(1)
    resumed_dir = tmp_path / "resumed"
    resumed_dir.mkdir()
    shutil.copy(smoke_run.work_dir + "/epoch_1.pth", resumed_dir / "epoch_1.pth")
    (resumed_dir / "last_checkpoint").write_text(str(resumed_dir / "epoch_1.pth"))
    runner = train.main(smoke_config(voc_tiny, resumed_dir, "resume=True"))
    assert dst_hook(runner).sparsifier.step_count == 4
    full = smoke_run.model.state_dict()
    for name, value in runner.model.state_dict().items():
        assert torch.equal(value, full[name]), name
    ours, theirs = dst_hook(runner).sparsifier.masks, dst_hook(smoke_run).sparsifier.masks
    assert all(torch.equal(ours[n], theirs[n]) for n in theirs)


def test_config_errors_name_the_key(voc_tiny, tmp_path):
    with pytest.raises(ConfigError, match="unknown config key 'dst.sparsty'"):
        smoke_config(voc_tiny, tmp_path, "dst.sparsty=0.1")
    with pytest.raises(ConfigError, match="dst.algorithm.*allowed"):
        train.build_runner(smoke_config(voc_tiny, tmp_path, "dst.algorithm=sett"))


@pytest.mark.parametrize("override, message", [
    ('resume="false"', "config key 'resume' must be true or false (it is False), got 'false'"),
    ("train_cfg.max_epochs=2.7", "config key 'train_cfg.max_epochs' must be an integer (it is 2), got 2.7"),
    ("dst.sparsity=true", "config key 'dst.sparsity' must be a number (it is 0.5), got True"),
    ("work_dir=3", "config key 'work_dir' must be a string"),
])
def test_overrides_keep_the_kind_of_value(voc_tiny, tmp_path, override, message):
    with pytest.raises(ConfigError) as err:
        smoke_config(voc_tiny, tmp_path, override)
    assert message in str(err.value)
    cfg = smoke_config(voc_tiny, tmp_path, "dst.sparsity=1", "resume=true", "train_cfg.max_epochs=3")
    assert (cfg.dst.sparsity, cfg.resume, cfg.train_cfg.max_epochs) == (1, True, 3)  # an int is a number


def test_voc_aug_adds_the_augmented_set(voc_tiny, tmp_path):
    from dscr.config import DscrError

    root = tmp_path / "VOC2012"
    shutil.copytree(voc_tiny, root)
    with pytest.raises(DscrError, match="aug.txt"):
        train.build_runner(smoke_config(root, tmp_path / "run", "voc_aug=True"))
    shutil.copytree(root / "SegmentationClass", root / "SegmentationClassAug")
    names = (root / "ImageSets/Segmentation/train.txt").read_text().split()
    (root / "ImageSets/Segmentation/aug.txt").write_text("\n".join(names[:3]) + "\n")
    runner = train.build_runner(smoke_config(root, tmp_path / "run", "voc_aug=True"))
    dataset = runner.train_dataloader.dataset
    assert len(dataset) == len(names) + 3
    assert dataset.datasets[1].get_data_info(0)["seg_map_path"].endswith(f"SegmentationClassAug/{names[0]}.png")
