"""FLOPs and parameter counts of dense and sparse training, as the paper's appendix Tables 4-7 define them.

- Inference FLOPs of one sample: every multiply-add of conv, linear and attention matmuls counts 2 FLOPs
  (`torch.utils.flop_counter`); conv and linear layers are attributed to their weights (forward hooks), so a
  sparse layer of density d costs d times its dense FLOPs. Element-wise ops (BN, ReLU, pooling) are not counted.
- Parameters: every parameter, with each sparse weight counted at its density.
- Training FLOPs: the forward pass plus a backward pass of twice its cost, summed over the run:
  dense = 3 x inference FLOPs x training samples x epochs. A sparse run follows its algorithm's `Plan` step by
  step (MEST's soft bound, GraNet's denser start, GMP's and OMP's dense phases, AC/DC's dense phases), and an
  algorithm that reads the dense gradient (RigL, MEST_g, GraNet_g, and MEST_r whose prune score
  |w| + lambda |g| has a non-zero lambda) pays, on each update step's batch, the dense weight-gradient FLOPs of
  its sparse layers (RigL's accounting, Evci et al. 2020, appendix H).
- Per-layer densities come from the configured distribution at each scheduled global density; algorithms that
  prune by global magnitude are counted with that distribution too (their real allocation depends on training).

Imports torch and dscr.dst only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dscr import dst


@dataclass(frozen=True)
class ModelFlops:
    """Dense per-sample counts of a model.

    Attributes:
        total: forward FLOPs of one sample (conv, linear, matmul, attention).
        layers: sparse weight name -> its layer's forward FLOPs of one sample.
        shapes: sparse weight name -> weight shape.
        params: number of parameters.
    """

    total: float
    layers: dict[str, float]
    shapes: dict[str, tuple[int, ...]]
    params: int

    def inference(self, densities: dict[str, float]) -> float:
        """Forward FLOPs of one sample when sparse layer `name` has density `densities[name]`."""
        return self.total - sum(f * (1.0 - densities[n]) for n, f in self.layers.items())

    def sparse_params(self, densities: dict[str, float]) -> float:
        """Parameter count with each sparse weight counted at its density."""
        return self.params - sum(math.prod(s) * (1.0 - densities[n]) for n, s in self.shapes.items())


def measure(model: nn.Module, input_shape: tuple[int, ...], config: dst.DSTConfig) -> ModelFlops:
    """Count one sample's forward FLOPs, per sparse layer and in total.

    Args:
        model: the dense model (not modified; run once on CPU with a zero input).
        input_shape: one sample's shape, e.g. (3, 32, 32).
        config: decides which weights are sparse (`dense_first_layer`, `dense_last_layer`, `dense_layers`).

    Returns:
        The dense counts.
    """
    sparse = dst.select_sparse_weights(model, config)
    by_param = {id(w): name for name, w in sparse.items()}
    layers: dict[str, float] = {}

    def hook(module: nn.Module, inputs, output) -> None:
        name = by_param.get(id(module.weight))
        if name is None:
            return
        if isinstance(module, nn.Linear):
            flops = 2.0 * output.numel() * module.in_features
        else:
            flops = 2.0 * output.numel() * module.weight[0].numel()
        layers[name] = layers.get(name, 0.0) + flops

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, dst.layers.SPARSE_MODULE_TYPES)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros((1, *input_shape)))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    shapes = {name: tuple(w.shape) for name, w in sparse.items()}
    for name in shapes:
        layers.setdefault(name, 0.0)
    params = sum(p.numel() for p in model.parameters())
    return ModelFlops(float(counter.get_total_flops()), layers, shapes, params)


@dataclass(frozen=True)
class FlopReport:
    """What `dscr flops` prints."""

    training_flops: float
    inference_flops: float
    params: float
    total_steps: int


def report(counts: ModelFlops, config: dst.DSTConfig, train_samples: int, epochs: int,
           batch_size: int) -> FlopReport:
    """Training FLOPs of a run, and inference FLOPs and parameters of its final model.

    Args:
        counts: from `measure`.
        config: algorithm, sparsity, distribution and schedule settings.
        train_samples: training-set size.
        epochs: training epochs.
        batch_size: global batch size (sets the number of optimizer steps and so the update steps).

    Returns:
        The counts of the whole run.
    """
    steps_per_epoch = math.ceil(train_samples / batch_size)
    total_steps = steps_per_epoch * epochs
    samples_per_step = train_samples * epochs / total_steps
    algorithm = dst.get_algorithm(config.algorithm)
    plan = algorithm.make_plan(config, total_steps)

    def per_sample(density: float) -> float:
        return counts.inference(_densities(counts, density, config))

    forward_sum, step, density = 0.0, 0, plan.initial_density
    extra = 0.0
    for update in plan.update_steps:  # steps step+1 .. update run at `density`, then the update changes it
        forward_sum += (update - step) * per_sample(density)
        density, step = plan.density(update), update
        if algorithm.reads_gradient(config):
            weight_grad_missing = counts.total - per_sample(density)
            extra += samples_per_step * weight_grad_missing
    forward_sum += (total_steps - step) * per_sample(density)
    final = _densities(counts, plan.final_density, config)
    return FlopReport(training_flops=3.0 * samples_per_step * forward_sum + extra,
                      inference_flops=counts.inference(final), params=counts.sparse_params(final),
                      total_steps=total_steps)


def _densities(counts: ModelFlops, density: float, config: dst.DSTConfig) -> dict[str, float]:
    return dst.layer_densities(counts.shapes, density, config.distribution)
