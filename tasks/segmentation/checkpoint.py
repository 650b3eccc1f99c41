"""Load mmengine checkpoints on current torch (>= 2.6), where `torch.load` defaults to `weights_only=True`.

mmengine 0.10.7 reads local checkpoints with a bare `torch.load(filename, map_location)`. Its checkpoints pickle
more than tensors (the message hub's `HistoryBuffer`s, NumPy scalars, our RNG states), which the weights-only
unpickler rejects, so resume and evaluation fail with `WeightsUnpickler error`. We replace mmengine's local-file
loader with one that says `weights_only=False` explicitly. Only checkpoints this project wrote go through it
(resume, evaluation); the ImageNet backbone weights are read by `backbone.load_vgg_features` with
`weights_only=True`. Do not point `load_from`/`resume` at files from untrusted sources.
"""

from __future__ import annotations

import os

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def load_trusted_local(filename: str, map_location=None):
    """mmengine's local loader, with full unpickling stated explicitly (our own run checkpoints)."""
    filename = os.path.expanduser(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f"{filename} can not be found.")
    return torch.load(filename, map_location=map_location, weights_only=False)


def install() -> None:
    """Make `load_trusted_local` mmengine's loader for local paths (idempotent)."""
    CheckpointLoader.register_scheme(prefixes="", loader=load_trusted_local, force=True)
