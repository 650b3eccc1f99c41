from dataclasses import dataclass, field
from typing import Literal

import pytest

from dscr.config import ConfigError, apply_overrides, from_dict, load_config
from tasks.classification.config import TrainConfig


@dataclass
class Inner:
    mode: Literal["a", "b"] = "a"
    rate: float = 0.5


@dataclass
class Outer:
    steps: int = 1
    flags: list[int] = field(default_factory=list)
    inner: Inner = field(default_factory=Inner)


def test_valid_tree_and_coercion():
    cfg = from_dict(Outer, {"steps": 3, "flags": [1, 2], "inner": {"mode": "b", "rate": "5e-4"}})
    assert cfg.steps == 3 and cfg.flags == [1, 2] and cfg.inner.mode == "b" and cfg.inner.rate == 5e-4


@pytest.mark.parametrize("data, message", [
    ({"stepz": 1}, "unknown config key 'stepz'; allowed: flags, inner, steps"),
    ({"inner": {"rat": 1}}, "unknown config key 'inner.rat'; allowed: mode, rate"),
    ({"inner": {"mode": "c"}}, "config key 'inner.mode' is 'c'; allowed: a, b"),
    ({"steps": "many"}, "config key 'steps' must be an integer, got 'many'"),
    ({"steps": True}, "config key 'steps' must be an integer"),
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
