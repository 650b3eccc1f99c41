"""Schedules as small frozen dataclasses: callables `step -> value`, plus the `Plan` that bundles them.

A `Plan` is everything about an algorithm that depends only on its config and the run length: the initial
density, the steps at which masks change, the density after each change and the fraction of non-zeros pruned
and regrown at each change. The sparsifier follows it; `dscr.flops` integrates it to count training FLOPs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

POLYNOMIAL_POWER = 0.01  # the paper's prune-rate decay: p * (1 - step / total) ** 0.01


@dataclass(frozen=True)
class Constant:
    """A value that never changes."""

    value: float

    def __call__(self, step: int) -> float:
        del step
        return self.value


@dataclass(frozen=True)
class RateDecay:
    """Prune-rate decay from `initial` at step 0 to the end of the run.

    constant: p; cosine: p/2 * (1 + cos(pi * t / T)); polynomial: p * (1 - t / T) ** 0.01 (paper Table 3).
    """

    kind: str
    initial: float
    total_steps: int

    def __post_init__(self) -> None:
        if self.kind not in ("constant", "cosine", "polynomial"):
            raise ValueError(f"unknown decay '{self.kind}'; allowed: constant, cosine, polynomial")

    def __call__(self, step: int) -> float:
        progress = min(max(step / max(self.total_steps, 1), 0.0), 1.0)
        if self.kind == "constant":
            return self.initial
        if self.kind == "cosine":
            return 0.5 * self.initial * (1.0 + math.cos(math.pi * progress))
        return self.initial * (1.0 - progress) ** POLYNOMIAL_POWER


@dataclass(frozen=True)
class Cubic:
    """Cubic density schedule of gradual pruning (Zhu & Gupta 2017; GraNet):
    d_t = d_f + (d_i - d_f) * (1 - (t - t0) / (t1 - t0)) ** 3 for t0 <= t <= t1, d_i before, d_f from t1 on."""

    initial: float
    final: float
    start: int
    end: int

    def __call__(self, step: int) -> float:
        if step >= self.end:
            return self.final
        if step <= self.start:
            return self.initial
        return self.final + (self.initial - self.final) * (1 - (step - self.start) / (self.end - self.start)) ** 3


@dataclass(frozen=True)
class SoftBound:
    """MEST's soft memory bound: density target * (1 + bound * decay(step)), at most 1, before `end`; the
    target itself from `end` on, whatever the decay's shape (a constant decay then drops at `end`).

    `end` is a mask-update step, so the update at `end` lands the target and the steps after it train at
    the final density (MEST's scripts reach their last bound at 75 % of the run; the paper's polynomial
    `(1 - t/T) ** 0.01` over the whole run would still hold ~95 % of the bound at the last update).
    """

    target: float
    bound: float
    decay: RateDecay  # its `initial` is 1 and its `total_steps` is `end`: the bound's multiplier
    end: int

    def __call__(self, step: int) -> float:
        if step >= self.end:
            return self.target
        return min(1.0, self.target * (1.0 + self.bound * self.decay(step)))


@dataclass(frozen=True)
class Phases:
    """Piecewise constant: `values[i]` from `starts[i]` on (`starts` ascending, `starts[0]` = 0)."""

    starts: tuple[int, ...]
    values: tuple[float, ...]

    def __call__(self, step: int) -> float:
        value = self.values[0]
        for start, candidate in zip(self.starts, self.values):
            if step >= start:
                value = candidate
        return value


@dataclass(frozen=True)
class Window:
    """`schedule(step)` up to and including `end`, 0 afterwards (e.g. no regrowth once DST updates stop)."""

    schedule: Callable[[int], float]
    end: int

    def __call__(self, step: int) -> float:
        return self.schedule(step) if step <= self.end else 0.0


@dataclass(frozen=True)
class Plan:
    """What an algorithm does, step by step, independent of the weights.

    Attributes:
        initial_density: density of the masks made at creation.
        update_steps: optimizer steps (1-based, as counted by `step()`) after which masks change.
        density: step -> global density right after the update at that step.
        regrow_fraction: step -> fraction of each layer's non-zeros pruned and regrown at that update.
        final_density: density the run ends at. The last update (or the start, if there is none) must land
            it: no mask change may follow the last optimizer step, so the evaluated model is trained at it.
    """

    initial_density: float
    update_steps: tuple[int, ...]
    density: Callable[[int], float]
    regrow_fraction: Callable[[int], float]
    final_density: float

    def __post_init__(self) -> None:
        last = self.density(self.update_steps[-1]) if self.update_steps else self.initial_density
        if abs(last - self.final_density) > 1e-9:
            where = f"its last mask update (step {self.update_steps[-1]})" if self.update_steps else "its start"
            raise ValueError(f"the schedule leaves density {last:.6g} at {where}, not its final "
                             f"{self.final_density:.6g}: a run must reach it before its last optimizer step")

    def density_at(self, step: int) -> float:
        """Density in force during optimizer step `step` (1-based): set by the last update before it."""
        value = self.initial_density
        for update in self.update_steps:
            if update >= step:
                break
            value = self.density(update)
        return value


def interval_steps(interval: int, start: int, end: int) -> tuple[int, ...]:
    """Multiples of `interval` in [max(start, interval), end]."""
    first = max(interval, math.ceil(max(start, 1) / interval) * interval)
    return tuple(range(first, end + 1, interval))


def fraction_step(fraction: float, total_steps: int) -> int:
    """The optimizer step at `fraction` of a run of `total_steps` steps."""
    return int(round(fraction * total_steps))


def update_step(fraction: float, total_steps: int) -> int:
    """`fraction_step`, but at most `total_steps - 1`: a mask change at a run's end must still be trained."""
    return min(fraction_step(fraction, total_steps), total_steps - 1)


def last_update_until(steps: Sequence[int], step: int) -> int:
    """The last of the ascending update `steps` at or before `step` (0 when there is none)."""
    return max((s for s in steps if s <= step), default=0)


def merge_steps(*groups: Sequence[int], total_steps: int) -> tuple[int, ...]:
    """Sorted unique steps in [1, total_steps - 1] (an update after the last step would never train)."""
    return tuple(sorted({s for group in groups for s in group if 1 <= s < total_steps}))
