"""`dscr train --config FILE [key=value ...]`: train one classification run into runs/<name>/."""

from __future__ import annotations


def add_parser(subparsers):
    p = subparsers.add_parser("train", help="train one run (dense or sparse) from a scenario config",
                              description="Train one classification run. Overrides are dotted keys, e.g. "
                              "dst.algorithm=rigl dst.sparsity=0.5 epochs=10 name=my-run.")
    p.add_argument("--config", required=True, help="a scenario YAML under tasks/classification/configs/")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    return p


def run(args) -> int:
    from dscr.config import ConfigError, load_config
    from tasks.classification import train
    from tasks.classification.config import TrainConfig
    from tasks.classification.models import list_models

    cfg = load_config(TrainConfig, args.config, args.overrides)
    if cfg.model.name not in list_models():  # checked before any data is loaded
        raise ConfigError(f"config key 'model.name' is '{cfg.model.name}'; allowed: {', '.join(list_models())}")
    train.main(cfg)
    return 0
