"""A checkpoint that is truncated, random bytes, empty or of another kind is one line naming its path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dscr.config import DscrError
from dscr.engine.checkpoint import load_checkpoint, rng_state, save_checkpoint


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "run" / "checkpoints" / "last.pt"
    save_checkpoint(path, {"model": torch.nn.Linear(8, 4).state_dict(), "rng": rng_state(), "epoch": 3})
    return path


def test_a_good_checkpoint_loads(checkpoint):
    state = load_checkpoint(checkpoint, required=("model", "epoch"))
    assert state["epoch"] == 3 and set(state["model"]) == {"weight", "bias"}


@pytest.mark.parametrize("damage, says", [
    (lambda data: data[: len(data) // 2], "cannot be read: truncated or not a checkpoint"),
    (lambda data: np.random.default_rng(1).bytes(len(data)), "cannot be read: truncated or not a checkpoint"),
    (lambda data: b"", "is empty"),
])
def test_a_damaged_checkpoint_is_one_line_naming_the_path(checkpoint, damage, says):
    checkpoint.write_bytes(damage(checkpoint.read_bytes()))
    with pytest.raises(DscrError) as err:
        load_checkpoint(checkpoint)
    assert str(checkpoint) in str(err.value) and says in str(err.value) and "\n" not in str(err.value)


def test_a_checkpoint_of_another_kind_is_refused(checkpoint, tmp_path):
    with pytest.raises(DscrError, match="lacks sparsifier"):
        load_checkpoint(checkpoint, required=("model", "sparsifier"))
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(DscrError, match="holds a list, not a checkpoint dict"):
        load_checkpoint(tmp_path / "list.pt")
    with pytest.raises(DscrError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "none.pt")
