from dataclasses import dataclass, field
from typing import Literal

import pytest

from dscr.config import ConfigError, apply_overrides, from_dict, load_config, require_at_least
from tasks.classification.config import TrainConfig


@dataclass
class Inner:
    mode: Literal["a", "b"] = "a"
    rate: float = 0.5

    def __post_init__(self) -> None:
        require_at_least(self, 0, "rate")


@dataclass
class Outer:
    steps: int = 1
    strict: bool = False
    flags: list[int] = field(default_factory=list)
    inner: Inner = field(default_factory=Inner)


def test_valid_tree_and_coercion():
    cfg = from_dict(Outer, {"steps": 3, "flags": [1, 2], "inner": {"mode": "b", "rate": "5e-4"}})
    assert cfg.steps == 3 and cfg.flags == [1, 2] and cfg.inner.mode == "b" and cfg.inner.rate == 5e-4


@pytest.mark.parametrize("data, message", [
    ({"stepz": 1}, "unknown config key 'stepz'; allowed: flags, inner, steps, strict"),
    ({"inner": {"rat": 1}}, "unknown config key 'inner.rat'; allowed: mode, rate"),
    ({"inner": {"mode": "c"}}, "config key 'inner.mode' is 'c'; allowed: a, b"),
    ({"steps": "many"}, "config key 'steps' must be an integer, got 'many'"),
    ({"steps": True}, "config key 'steps' must be an integer"),
    ({"steps": 2.7}, "config key 'steps' must be an integer, got 2.7"),
    ({"steps": "2"}, "config key 'steps' must be an integer, got '2'"),
    ({"strict": "false"}, "config key 'strict' must be true or false, got 'false'"),
    ({"strict": 0}, "config key 'strict' must be true or false, got 0"),
    ({"inner": {"rate": True}}, "config key 'inner.rate' must be a number, got True"),
    ({"inner": {"rate": -1.0}}, "inner.rate: -1.0; must be >= 0"),
    ({"flags": 3}, "config key 'flags' must be a list"),
    ({"inner": 3}, "config key 'inner' must be a section"),
])
def test_errors_name_the_key_and_allowed_values(data, message):
    with pytest.raises(ConfigError) as err:
        from_dict(Outer, data)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_overrides_are_parsed_as_yaml_values():
    data = apply_overrides({"inner": {"mode": "a"}}, ["inner.rate=0.25", "flags=[1, 2]", "steps=7"])
    assert data == {"inner": {"mode": "a", "rate": 0.25}, "flags": [1, 2], "steps": 7}
    with pytest.raises(ConfigError, match="key=value"):
        apply_overrides({}, ["steps"])


def test_every_scenario_config_loads(repo_root):
    configs = sorted((repo_root / "tasks/classification/configs").glob("*.yaml"))
    assert len(configs) >= 7
    for path in configs:
        cfg = load_config(TrainConfig, path)
        assert cfg.name == path.stem


def test_impossible_sparsity_is_rejected(repo_root):
    with pytest.raises(ConfigError, match="sparsity"):
        load_config(TrainConfig, repo_root / "tasks/classification/configs/smoke.yaml", ["dst.sparsity=1.5"])


@pytest.mark.parametrize("override, message", [
    ("optim.lr=-0.1", "optim.lr: -0.1; must be > 0"),
    ("optim.weight_decay=-1e-4", "optim.weight_decay: -0.0001; must be >= 0"),
    ("data.train_subset=-5", "data.train_subset: -5; must be >= 0"),
    ("data.test_subset=-1", "data.test_subset: -1; must be >= 0"),
    ("lr_schedule.warmup_epochs=-2", "lr_schedule.warmup_epochs: -2; must be >= 0"),
    ("mixup_alpha=-0.2", "mixup_alpha: -0.2; must be >= 0"),
    ("label_smoothing=1.0", "label_smoothing: 1.0; allowed: 0 <= label_smoothing < 1"),
])
def test_impossible_values_name_the_key(repo_root, override, message):
    with pytest.raises(ConfigError) as err:
        load_config(TrainConfig, repo_root / "tasks/classification/configs/smoke.yaml", [override])
    assert str(err.value) == message
