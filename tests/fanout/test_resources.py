"""What a stage asks for: a multi-GPU scenario runs torchrun inside its stage, and `dscr launch` asks Ray for
its GPUs."""

from __future__ import annotations


def test_a_multi_gpu_scenario_reruns_itself_under_torchrun(monkeypatch):
    import sys

    from dscr.cli.pipeline import torchrun_command

    monkeypatch.delenv("RANK", raising=False)
    argv = ["pipeline", "train", "full", "imagenet_resnet50", "rigl", "0", "--out", "runs/x"]
    assert torchrun_command(4, 8, argv) == [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                            "--nproc_per_node", "4", "-m", "dscr", *argv]
    assert torchrun_command(4, 2, argv) is None   # fewer GPUs here: one process
    assert torchrun_command(1, 8, argv) is None   # a single-GPU scenario
    monkeypatch.setenv("RANK", "1")
    assert torchrun_command(4, 8, argv) is None   # already one of torchrun's processes


def test_the_plan_asks_each_stage_for_its_scenarios_gpus():
    from dscr.fanout.plan import gpus_of

    params = {"scenarios": {"imagenet_resnet50": {"gpus": 4}, "cifar10_vgg16": {}}}
    assert gpus_of("dscr pipeline train full imagenet_resnet50 rigl 0 --out x", params) == 4
    assert gpus_of("dscr pipeline train full cifar10_vgg16 rigl 0 --out x", params) == 1
    assert gpus_of("dscr pipeline evaluate full runs/x imagenet-c --from data/imagenet-c", params) == 1
