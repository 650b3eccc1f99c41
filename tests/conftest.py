"""Shared test fixtures: one CPU thread per test process, the real CIFAR-10 arrays when available."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]

# Tests run two per machine core (pytest -n 2); more threads per process would only oversubscribe.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def cifar10_root() -> Path:
    """The data root holding data/cifar10 (materialised by `make data`, which `make test` runs first)."""
    root = REPO / "data"
    if not (root / "cifar10" / "test_images.npy").is_file():
        mirror = os.environ.get("DSCR_DATA_MIRROR")
        if not mirror:
            pytest.skip("CIFAR-10 not materialised and DSCR_DATA_MIRROR unset (run `make data`)")
        from tasks.classification.datasets import materialise

        materialise("cifar10", root, mirror)
    return root
