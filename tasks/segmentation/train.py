"""Train FCN on Pascal VOC with mmengine's Runner: `dscr train-seg --config tasks/segmentation/configs/X.py`.

The config is an mmsegmentation 1.x (mmengine) Python config. This module only: applies `key.sub=value`
overrides (each key must already exist in the config, so a typo fails), points every dataset at `data_root`,
adds the SBD-augmented training set when `voc_aug` is set, turns the config's `dst` section into a `DSTHook`,
and runs `Runner.train()`. The run folder (`work_dir`) gets `config.py` (the resolved config) and mmengine's
checkpoints (`last_checkpoint` names the newest); `resume=True` continues from it.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from dscr.config import ConfigError, DscrError
from dscr.engine.io import write_text_atomic

from . import setup

RESOLVED_CONFIG = "config.py"


def parse_overrides(overrides: list[str]) -> dict:
    """`a.b=value` strings -> {"a.b": value}, values parsed as YAML scalars/lists (tuples stay lists)."""
    parsed = {}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override '{item}' must look like key=value (e.g. dst.sparsity=0.1)")
        key, raw = item.split("=", 1)
        try:
            parsed[key.strip()] = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            parsed[key.strip()] = raw
    return parsed


def load_config(path: str | Path, overrides: list[str] | None = None):
    """Read an mmengine config and apply overrides to keys that exist.

    Args:
        path: a `.py` config, e.g. tasks/segmentation/configs/fcn_vgg16_voc_set_s0.1.py.
        overrides: `key.sub=value` strings.

    Returns:
        The `mmengine.Config`, with `data_root` propagated into every dataset.
    """
    from mmengine.config import Config

    path = Path(path)
    if not path.is_file() or path.suffix != ".py":
        raise ConfigError(f"segmentation config not found or not a .py file: {path}")
    cfg = Config.fromfile(str(path))
    updates = parse_overrides(list(overrides or []))
    for key, value in updates.items():
        _check_type(key, _existing_value(cfg, key), value)
    cfg.merge_from_dict(updates)
    for loader in ("train_dataloader", "val_dataloader", "test_dataloader"):
        if cfg.get(loader) is not None:
            _set_data_root(cfg[loader]["dataset"], cfg.data_root)
    return cfg


def _existing_value(cfg, dotted: str):
    """The config's current value at `dotted`; an unknown key is a one-line error listing the allowed ones."""
    node = cfg.to_dict()
    for depth, part in enumerate(dotted.split(".")):
        if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            prefix = ".".join(dotted.split(".")[:depth]) or "top level"
            allowed = ", ".join(sorted(node)) if isinstance(node, dict) else "list indices"
            raise ConfigError(f"unknown config key '{dotted}' ('{part}' is not in {prefix}); allowed: {allowed}")
    return node


def _check_type(key: str, old, new) -> None:
    """An override keeps the kind of value the config holds: a bool stays a bool (the string "false" would
    be true), an int stays an int (2.7 is not truncated), a number stays a number; None accepts anything."""
    kinds = [(bool, "true or false"), (int, "an integer"), (float, "a number"), (str, "a string"),
             ((list, tuple), "a list"), (dict, "a mapping")]
    for kind, words in kinds:
        if isinstance(old, kind):
            fits = isinstance(new, kind) and not (kind is int and isinstance(new, bool))
            if kind is float:
                fits = isinstance(new, (int, float)) and not isinstance(new, bool)
            if not fits:
                raise ConfigError(f"config key '{key}' must be {words} (it is {old!r}), got {new!r}")
            return


def _set_data_root(dataset: dict, data_root: str) -> None:
    if dataset.get("type") == "ConcatDataset":
        for part in dataset["datasets"]:
            _set_data_root(part, data_root)
    else:
        dataset["data_root"] = data_root


def with_voc_aug(train_dataset: dict) -> dict:
    """The training set plus the SBD-augmented masks (mmseg's `voc_aug` convention), concatenated."""
    aug = copy.deepcopy(train_dataset)
    aug["data_prefix"] = dict(img_path="JPEGImages", seg_map_path="SegmentationClassAug")
    aug["ann_file"] = "ImageSets/Segmentation/aug.txt"
    return dict(type="ConcatDataset", datasets=[train_dataset, aug])


def build_runner(cfg):
    """An mmengine Runner for `cfg`, with the DST hook added from the `dst` section.

    Args:
        cfg: the config from `load_config`.

    Returns:
        `mmengine.runner.Runner`.
    """
    setup()
    from mmengine.runner import Runner

    cfg = copy.deepcopy(cfg)
    if cfg.get("voc_aug"):
        cfg.train_dataloader.dataset = with_voc_aug(cfg.train_dataloader.dataset)
    cfg.custom_hooks = list(cfg.get("custom_hooks", [])) + [
        dict(type="DSTHook", dst=dict(cfg.dst), init=cfg.get("dst_init", "magnitude"),
             target=cfg.get("dst_target", "backbone"))]
    _check_data(cfg)
    return Runner.from_cfg(cfg)


def _check_data(cfg) -> None:
    dataset = cfg.train_dataloader.dataset
    parts = dataset["datasets"] if dataset.get("type") == "ConcatDataset" else [dataset]
    for part in parts:
        root = Path(part["data_root"])
        for needed in (root / part["ann_file"], root / part["data_prefix"]["img_path"]):
            if not needed.exists():
                raise DscrError(f"VOC data missing: {needed} (set data_root=<.../VOCdevkit/VOC2012>; "
                                "the augmented set needs SegmentationClassAug and aug.txt)")


def main(cfg):
    """Train one run into `cfg.work_dir`.

    Returns:
        The Runner after training (`runner.work_dir` is the run folder).
    """
    runner = build_runner(cfg)
    write_text_atomic(Path(cfg.work_dir) / RESOLVED_CONFIG, cfg.pretty_text)
    runner.train()
    return runner
