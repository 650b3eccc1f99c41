"""Entry points the DVC pipeline stages (`dscr pipeline train|evaluate`) call for video scenarios."""

from __future__ import annotations

from pathlib import Path


def train(config_path: str | Path, overrides: list[str]) -> dict:
    """Train the scenario's config with the pipeline's overrides (algorithm, sparsity, seed, run folder).

    Args:
        config_path: a YAML under tasks/video/configs/.
        overrides: dotted key=value strings.

    Returns:
        The run's metrics (see `tasks.video.train.main`).
    """
    from dscr.config import load_config

    from . import train as task
    from .config import VideoTrainConfig

    return task.main(load_config(VideoTrainConfig, config_path, overrides))


def evaluate(run_dir: str | Path, suite: str = "ucf101-c", seed: int = 0) -> dict:
    """Evaluate a trained run on the whole `suite` and its own test set, writing RUN_DIR/robustness/<suite>.json.

    Args:
        run_dir: the run folder.
        suite: the video suite.
        seed: the corruption seed.

    Returns:
        The result record.
    """
    from .evaluate import evaluate_run

    return evaluate_run(run_dir, suite, seed=seed)
