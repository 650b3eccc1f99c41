"""Checkpoints that resume exactly: model, optimizer, scheduler, DST state and every RNG state.

Saved atomically, so a run killed while saving keeps its previous checkpoint intact.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dscr.config import DscrError

from .io import write_atomic


def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    return write_atomic(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: str | Path, map_location: Any = "cpu", required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Read a checkpoint written by `save_checkpoint` (or any torch.save'd dict).

    Args:
        required: keys the caller reads; a checkpoint without them is refused.

    Raises:
        DscrError: the file is missing, empty, truncated, not a checkpoint, or lacks a `required` key; one
            line naming the path.
    """
    path = Path(path)
    if not path.is_file():
        raise DscrError(f"checkpoint not found: {path}")
    if path.stat().st_size == 0:
        raise DscrError(f"checkpoint {path} is empty (a killed or failed write?); delete it and train again")
    try:
        # Our own checkpoints hold RNG states (numpy arrays, tuples), which the weights-only unpickler rejects.
        state = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as exc:  # noqa: BLE001  unpickling garbage fails in any of a dozen ways
        reason = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:120]
        raise DscrError(f"checkpoint {path} cannot be read: truncated or not a checkpoint "
                        f"({exc.__class__.__name__}: {reason})") from None
    if not isinstance(state, dict):
        raise DscrError(f"checkpoint {path} holds a {type(state).__name__}, not a checkpoint dict")
    missing = [key for key in required if key not in state]
    if missing:
        raise DscrError(f"checkpoint {path} lacks {', '.join(missing)}: not a checkpoint of this kind of run")
    return state
