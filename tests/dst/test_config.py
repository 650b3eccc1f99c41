"""DSTConfig through the YAML validator: every field is checkable, bad values give one clear line."""

import dataclasses

import pytest

from dscr.config import ConfigError, from_dict
from dscr.dst import DSTConfig


def test_algorithm_keys_validate():
    cfg = from_dict(DSTConfig, {"algorithm": "granet_g", "sparsity": 0.7, "granet_init_density": 0.95,
                                "dense_layers": ["fc.*"], "mest_bound_decay": "cosine", "prune_scope": "layer"})
    assert cfg.granet_init_density == 0.95 and cfg.dense_layers == ["fc.*"]
    with pytest.raises(ConfigError, match="allowed: dense, set, rigl"):
        from_dict(DSTConfig, {"algorithm": "sett"})
    with pytest.raises(ConfigError, match="sparsity: 1.2 is impossible"):
        from_dict(DSTConfig, {"sparsity": 1.2})
    with pytest.raises(ConfigError, match="granet_end"):
        from_dict(DSTConfig, {"granet_start": 0.6, "granet_end": 0.5})
    with pytest.raises(ConfigError, match="unknown config key 'mest_lamda'"):
        from_dict(DSTConfig, {"mest_lamda": 1.0})


def test_every_field_is_a_primitive_literal_or_list():
    allowed = {"int", "float", "bool", "str", "list[str]"}
    for field in dataclasses.fields(DSTConfig):
        assert field.type in allowed or field.type in ("Algorithm", "Decay") or field.type.startswith("Literal"), \
            field.name
