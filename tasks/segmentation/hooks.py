"""mmengine hooks: drive the shared DST module from mmengine's Runner, and make resumed runs exact.

`DSTHook` holds no segmentation logic: it builds the sparsifier over one sub-module (the backbone), steps it
after every optimizer step and checkpoints its state. It steps the sparsifier from inside the optim wrapper's
`step` rather than in `after_train_iter`, because mmengine's `OptimWrapper.update_params` clears the gradients
before `after_train_iter` runs, and the DST contract is "after every optimizer.step(), while .grad still holds
the step's gradients" (RigL / MEST_g read them at update steps; with gradient accumulation only real steps count).

`RNGStateHook` saves and restores the Python, NumPy and torch RNG states with the checkpoint (mmengine saves
none), so that random augmentation and dropout continue where an interrupted run stopped.
"""

from __future__ import annotations

import functools
import math

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from dscr.config import ConfigError, from_dict
from dscr.dst import DSTConfig
from dscr.engine.checkpoint import rng_state, set_rng_state

from .sparse_init import create_sparsifier

DST_KEY = "dst_state"
RNG_KEY = "rng_state"


@HOOKS.register_module()
class DSTHook(Hook):
    """Sparsify `model.<target>` with a `dscr.dst` algorithm for the whole training run.

    Args:
        dst: `dscr.dst.DSTConfig` fields as a dict (validated; bad keys raise ConfigError).
        init: initial masks: "magnitude" (prune the pretrained weights) or "random" (the algorithm's own).
        target: attribute of the model to sparsify ("backbone"); "" sparsifies the whole model.
        seed: seed of the sparsifier's generator; None uses the runner's seed.
    """

    priority = "ABOVE_NORMAL"  # save our state before CheckpointHook writes the file

    def __init__(self, dst: dict, init: str = "magnitude", target: str = "backbone", seed: int | None = None):
        self.config = from_dict(DSTConfig, dict(dst), "dst.")
        if init not in ("magnitude", "random"):
            raise ConfigError(f"config key 'dst_init' is '{init}'; allowed: magnitude, random")
        self.init, self.target, self.seed = init, target, seed
        self.sparsifier = None
        self._loaded_state = None

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        module = getattr(model, self.target) if self.target else model
        wrapper = runner.optim_wrapper
        if not hasattr(wrapper, "optimizer"):
            raise ConfigError("DSTHook needs one optimizer (an OptimWrapper), not a dict of optimizers")
        # Optimizer steps, not iterations: with accumulative_counts > 1 only every k-th iteration steps.
        total_steps = math.ceil(runner.max_iters / getattr(wrapper, "_accumulative_counts", 1))
        seed = runner.seed if self.seed is None else self.seed
        self.sparsifier = create_sparsifier(module, wrapper.optimizer, self.config, total_steps,
                                            init=self.init, seed=int(seed or 0))
        if self._loaded_state is not None and runner.iter > 0:  # a resumed run, not a fresh fine-tune
            self.sparsifier.load_state_dict(self._loaded_state)
        self._loaded_state = None
        step = wrapper.step

        @functools.wraps(step)  # keeps the markers mmengine's LR schedulers put on `step`
        def step_then_sparsify(*args, **kwargs):
            step(*args, **kwargs)
            self.sparsifier.step()

        wrapper.step = step_then_sparsify
        density = self.sparsifier.densities()["global"]
        runner.logger.info(f"DST {self.config.algorithm} on model.{self.target or '<all>'}: "
                           f"{len(self.sparsifier.masks)} sparse weights, density {density:.4f}, "
                           f"{total_steps} optimizer steps, init {self.init}")

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        del batch_idx, data_batch, outputs
        runner.message_hub.update_scalar("train/density", self.sparsifier.densities()["global"])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        del runner
        if self.sparsifier is not None:
            checkpoint[DST_KEY] = self.sparsifier.state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Runner.resume loads checkpoints before `before_train` builds the sparsifier: keep the state till then.
        del runner
        self._loaded_state = checkpoint.get(DST_KEY)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Checkpoint the process's RNG states and restore them on resume."""

    priority = "ABOVE_NORMAL"

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        del runner
        checkpoint[RNG_KEY] = rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        del runner
        if RNG_KEY in checkpoint:
            set_rng_state(checkpoint[RNG_KEY])
