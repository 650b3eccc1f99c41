"""Pure exact-count mask helpers.

Every mask here is chosen with `torch.topk`, never with a `>=` threshold, so ties in the scores can never
change how many entries are selected.
"""

from __future__ import annotations

from typing import Callable

import torch


def topk_mask(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Select exactly `k` entries with the largest scores.

    Args:
        scores: any-shaped float tensor; entries that must not be chosen should be `-inf`.
        k: how many entries to select (0 <= k <= scores.numel()).

    Returns:
        A bool tensor shaped like `scores` with exactly `k` True entries.
    """
    flat = scores.reshape(-1)
    if not 0 <= k <= flat.numel():
        raise ValueError(f"k={k} outside [0, {flat.numel()}]")
    mask = torch.zeros(flat.numel(), dtype=torch.bool, device=scores.device)
    if k == flat.numel():
        mask.fill_(True)
    elif k > 0:
        mask[torch.topk(flat, k, sorted=False).indices] = True
    return mask.view(scores.shape)


def masked_scores(scores: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Return a float copy of `scores` with `-inf` wherever `allowed` is False (NaN scores become 0)."""
    out = torch.nan_to_num(scores.float(), nan=0.0, posinf=torch.finfo(torch.float32).max)
    return out.masked_fill(~allowed, float("-inf"))


def prune_and_grow(active: torch.Tensor, prune_score: torch.Tensor,
                   grow_score: Callable[[], torch.Tensor] | None, n_target: int,
                   n_regrow: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One layer's mask update by exact counts.

    Keeps the `n_target - n_regrow` active entries with the largest prune scores (or all active entries when
    there are fewer), then grows inactive entries by grow score until exactly `n_target` are active. A weight
    dropped in this update may be grown back in the same update; it then restarts from zero like any other
    grown weight.

    Args:
        active: bool mask of the currently active entries.
        prune_score: higher means more worth keeping (e.g. |w|).
        grow_score: returns scores, higher means more worth growing; called only when a choice is needed
            (so random draws and gradient reads happen only then); None when nothing can be grown.
        n_target: number of active entries after the update.
        n_regrow: number of entries pruned beyond the density schedule and regrown.

    Returns:
        (kept, grown): disjoint bool masks; `kept | grown` is the new mask with exactly `n_target` entries.
    """
    numel = active.numel()
    if not 0 <= n_target <= numel:
        raise ValueError(f"n_target={n_target} outside [0, {numel}]")
    n_active = int(active.sum())
    n_keep = min(max(n_target - n_regrow, 0), n_active)
    if n_keep == n_active:
        kept = active.clone()
    else:
        kept = topk_mask(masked_scores(prune_score, active), n_keep)
    n_grow = n_target - n_keep
    if n_grow == 0:
        return kept, torch.zeros_like(kept)
    if n_grow == numel - n_keep:
        return kept, ~kept
    if grow_score is None:
        raise ValueError("this update must grow weights but the algorithm has no grow score")
    grown = topk_mask(masked_scores(grow_score(), ~kept), n_grow)
    return kept, grown
