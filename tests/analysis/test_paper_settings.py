"""The analyses run on the paper's data, models, layers and corruptions (appendix A.5, A.10, figures 16-19,
Table 8), and a report on anything else says it is a stand-in."""

import json

import torch
import torchvision
import yaml

from dscr.cli.analyze import filter_layers, stand_in_notes
from dscr.cli.pipeline import by_profile
from dscr.config import load_config
from tasks.classification.config import TrainConfig
from tasks.classification.train import build_model

from .cli_helpers import run_analyze

FIGURE19 = ["brightness", "contrast", "fog", "gaussian_noise", "motion_blur", "pixelate", "shot_noise", "snow"]


def scenario(repo_root, name):
    return load_config(TrainConfig, repo_root / f"tasks/classification/configs/{name}.yaml")


def test_figure16_layers_are_vgg16s_features_20_30_40(repo_root):
    cfg = scenario(repo_root, "cifar10_vgg16")
    with torch.device("meta"):
        model = build_model(cfg)
        reference = torchvision.models.vgg16_bn().features  # the `features` the paper's names index
    layers = filter_layers(None, cfg, model)
    assert layers == {"net.0.20": "features.20", "net.0.30": "features.30", "net.0.40": "features.40"}
    modules = dict(model.named_modules())
    for ours, theirs in layers.items():
        index = int(theirs.split(".")[1])
        assert isinstance(modules[ours], torch.nn.Conv2d)
        assert modules[ours].weight.shape == reference[index].weight.shape  # 256x256, 512x512, 512x512, 3x3


def test_figure17_layers_are_resnet34s(repo_root):
    cfg = scenario(repo_root, "cifar100_resnet34")
    with torch.device("meta"):
        model = build_model(cfg)
    layers = filter_layers(None, cfg, model)
    assert layers == {"net.layer2.0.conv2": "layer2.0.conv2", "net.layer2.1.conv1": "layer2.1.conv1",
                      "net.layer3.3.conv2": "layer3.3.conv2"}
    shapes = [tuple(dict(model.named_modules())[name].weight.shape) for name in layers]
    assert shapes == [(128, 128, 3, 3), (128, 128, 3, 3), (256, 256, 3, 3)]


def test_stand_in_notes_name_the_papers_setting(repo_root):
    tiny = scenario(repo_root, "tinyimagenet_efficientnet_b0")
    smoke = scenario(repo_root, "smoke")
    assert stand_in_notes("frequency", tiny) == [] and stand_in_notes("gradcam", tiny) == []
    assert "STAND-IN: the paper's Figure 18 is measured on tinyimagenet" in stand_in_notes("frequency", smoke)[0]
    assert stand_in_notes("filters-resnet34", scenario(repo_root, "cifar100_resnet34")) == []
    assert "resnet34 on cifar100" in stand_in_notes("filters-resnet34", smoke)[0]


def test_pipeline_params_ask_for_the_papers_analyses(repo_root):
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    stages = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]
    assert params["figure2"]["sparsities"][0] == 0.1  # the claim covers 10-50 %
    groups = {name: {k: by_profile(v, "full") for k, v in group.items()}
              for name, group in params["analyses"]["groups"].items()}
    scenario = {entry["group"]: entry["scenario"] for entry in params["analyses"]["runs"].values()
                if entry["profile"] == "full"}
    assert (scenario["base"], groups["base"]["algorithms"]) == (
        "cifar10_vgg16", ["dense", "set", "rigl", "mest_r", "granet_r"])  # figure 16
    assert (scenario["resnet34"], groups["resnet34"]["algorithms"]) == (
        "cifar100_resnet34", ["dense", "set", "rigl", "mest_r", "granet_r"])  # figure 17
    assert scenario["tiny"] == "tinyimagenet_efficientnet_b0"  # figures 18-19
    assert {"dense", "set", "rigl"} <= set(groups["tiny"]["algorithms"])
    assert groups["fmnist"]["seeds"] == groups["fmnist_chts"]["seeds"] == [0, 1, 2]  # Table 8: mean ± std
    assert params["analyses"]["gradcam"]["corruptions"].split() == FIGURE19
    assert by_profile(params["analyses"]["frequency"]["limit"], "full") == 0  # curves on the whole test set
    assert "analyses/tiny --during-training --profile ${item}" in stages["analysis_frequency"]["do"]["cmd"]
    assert "runs/${item}/analyses/tiny" in stages["analysis_gradcam"]["do"]["cmd"]
    assert "analyses/resnet34 --figure 17" in stages["analysis_filters_resnet34"]["do"]["cmd"]
    assert {"full-resnet34", "full-tiny", "smoke-resnet34", "smoke-tiny"} <= set(params["analyses"]["runs"])


def test_gradcam_defaults_to_figure19s_corruptions_and_marks_a_stand_in(tiny_runs, tmp_path):
    assert run_analyze("gradcam", tiny_runs["dense"], tiny_runs["set"], "--images", "1", "--out", tmp_path,
                       "--device", "cpu") == 0
    rows = json.loads((tmp_path / "gradcam.json").read_text())
    assert {r["condition"] for r in rows} == {"clean"} | {f"{c} s3" for c in FIGURE19}
    assert "STAND-IN: the paper's Figure 19" in (tmp_path / "gradcam.md").read_text()


def test_filters_for_figure17_write_their_own_report(tiny_runs, tmp_path):
    assert run_analyze("filters", tiny_runs["set"], "--figure", "17", "--name", "filters_resnet34", "--out",
                       tmp_path, "--device", "cpu") == 0
    text = (tmp_path / "filters_resnet34.md").read_text()
    assert "figure 17" in text and "STAND-IN: the paper's Figure 17 is resnet34 on cifar100" in text
    assert (tmp_path / "filters_resnet34.png").stat().st_size > 0 and not (tmp_path / "filters.md").exists()


def test_a_group_runs_its_own_seeds(repo_root, tmp_path, monkeypatch):
    seeds = [0, 1, 2]
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    params["datasets"] = {"fashionmnist": str(tmp_path / "absent")}
    params["analyses"]["groups"] = {"gone": {"algorithms": ["dense"], "sparsities": [0.9], "suite": "",
                                             "seeds": seeds}}
    params["analyses"]["runs"] = {"smoke-gone": {"profile": "smoke", "group": "gone", "scenario": "fashionmnist_mlp"}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    assert run_analyze("train", "gone", "--profile", "smoke") == 0
    marked = sorted(p.parent.parent.name for p in (tmp_path / "runs/smoke/analyses/gone").glob("*/checkpoints/*"))
    assert marked == [f"dense-seed{s}" for s in seeds]
