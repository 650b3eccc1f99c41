"""Frequency analysis (radius-accuracy curves, appendix A.5 and figure 18).

An image is low-passed (or high-passed) by keeping only the entries of its centred 2-D spectrum inside (or
outside) a circle of radius r around the zero frequency; accuracy on the filtered clean test set is then a
function of r. Low-pass keeps distances `< r` and high-pass `>= r`, so the two are exact complements at every
radius: low(0) is blank, high(0) is the clean image, and low(r) is the clean image once r exceeds the largest
distance in the spectrum.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Literal, Sequence

import torch

from dscr.eval import clean_accuracy

Mode = Literal["low", "high"]
MODES: tuple[Mode, ...] = ("low", "high")
Predict = Callable[[torch.Tensor], torch.Tensor]


def spectrum_distance(height: int, width: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Distance of every entry of an `fftshift`-ed (height, width) spectrum from the zero frequency."""
    rows = torch.arange(height, device=device, dtype=torch.float32) - height // 2
    cols = torch.arange(width, device=device, dtype=torch.float32) - width // 2
    return torch.sqrt(rows[:, None] ** 2 + cols[None, :] ** 2)


def full_radius(height: int, width: int) -> int:
    """The smallest integer radius whose low-pass keeps every frequency (so it returns the image unchanged)."""
    return math.floor(math.hypot(height // 2, width // 2)) + 1


def frequency_filter(images: torch.Tensor, radius: float, mode: Mode = "low") -> torch.Tensor:
    """Keep the frequencies of each channel inside (`low`) or outside (`high`) a centred circle.

    Args:
        images: (N, C, H, W) uint8 or float tensor on any device.
        radius: circle radius in frequency-index units (0 .. `full_radius(H, W)`).
        mode: "low" keeps distances < radius, "high" keeps distances >= radius.

    Returns:
        The filtered images in the input's dtype and device (uint8 is rounded and clipped to 0..255).
    """
    if mode not in MODES:
        raise ValueError(f"mode '{mode}'; allowed: {', '.join(MODES)}")
    h, w = images.shape[-2:]
    inside = spectrum_distance(h, w, images.device) < radius
    keep = inside if mode == "low" else ~inside
    x = images.double() if images.dtype == torch.float64 else images.float()
    spectrum = torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1))
    # The mask is symmetric under k -> -k, so the inverse transform is real up to rounding error.
    out = torch.fft.ifft2(torch.fft.ifftshift(spectrum * keep, dim=(-2, -1))).real
    if images.dtype == torch.uint8:
        return out.round().clamp_(0, 255).to(torch.uint8)
    return out.to(images.dtype)


def default_radii(height: int, width: int, step: int = 1) -> list[int]:
    """Radii 0, step, ... up to and including `full_radius(height, width)`."""
    top = full_radius(height, width)
    return sorted(set(range(0, top, max(1, step))) | {top})


def radius_sweep(predicts: dict[str, Predict], batches: Sequence[tuple[torch.Tensor, torch.Tensor]],
                 radii: Iterable[float], modes: Sequence[Mode] = MODES) -> dict[str, dict]:
    """Accuracy (%) of each model on the filtered test set at each radius; one filter pass serves all models.

    Args:
        predicts: model name -> callable mapping a uint8 (N, C, H, W) batch to logits.
        batches: the clean test batches (uint8 images, labels) on the models' device.
        radii: the radii to evaluate.
        modes: "low" and/or "high".

    Returns:
        {model: {"clean": acc, "low": {radius: acc}, "high": {radius: acc}}}, radius keys as strings (JSON).
    """
    radii = list(radii)
    clean = clean_accuracy(predicts, batches)
    out: dict[str, dict] = {name: {"clean": clean[name]} for name in predicts}
    for mode in modes:
        for name in predicts:
            out[name][mode] = {}
        for radius in radii:
            filtered = [(frequency_filter(x, radius, mode), y) for x, y in batches]
            for name, acc in clean_accuracy(predicts, filtered).items():
                out[name][mode][f"{radius:g}"] = acc
    return out


# --- report ---------------------------------------------------------------------------------------------

def write_report(final: dict[str, dict], training: dict[str, dict[str, dict]], out_dir, notes: list[str],
                 stem: str = "frequency") -> list:
    """Write `<stem>.{md,csv,json,png}` (curves of the final models) and, when checkpoints over training were
    swept, `<stem>_training.png` (figure 18: accuracy per epoch x radius, and each model minus the first).

    Args:
        final: {model: radius_sweep result} of the trained models.
        training: {model: {epoch: radius_sweep result}} (may be empty).
        notes: lines printed under the table (the scale the numbers were measured at).
    """
    from pathlib import Path

    from dscr.report.tables import write_table

    out_dir = Path(out_dir)
    radii = sorted({r for res in final.values() for mode in MODES for r in res.get(mode, {})}, key=float)
    rows = [{"model": name, "filter": f"{mode}-pass", "clean": f"{res['clean']:.2f}",
             **{f"r={r}": f"{res[mode][r]:.2f}" for r in radii if r in res[mode]}}
            for name, res in final.items() for mode in MODES if mode in res]
    columns = ["model", "filter", "clean"] + [f"r={r}" for r in radii]
    paths = write_table(out_dir / stem, columns, rows, data={"final": final, "training": training},
                        title="Frequency analysis: clean test accuracy (%) after low/high-pass filtering at radius r",
                        notes=["low-pass keeps spectrum distances < r, high-pass keeps >= r (centred 2-D FFT per "
                               "channel); low-pass at full radius and high-pass at r=0 equal clean accuracy"] + notes)
    paths.append(_plot_curves(final, out_dir / f"{stem}.png"))
    if training:
        paths.append(_plot_training(training, out_dir / f"{stem}_training.png"))
    return paths


def _plot_curves(final: dict[str, dict], path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dscr.report.tables import save_figure

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, mode in zip(axes, MODES):
        for name, res in final.items():
            pts = sorted((float(r), acc) for r, acc in res[mode].items())
            ax.plot(*zip(*pts), marker=".", label=name)
        ax.set_title(f"{mode}-pass filtered test images", fontsize=9)
        ax.set_xlabel("radius r")
        ax.set_ylabel("accuracy (%)")
    axes[0].legend(fontsize=7)
    path = save_figure(fig, path)
    plt.close(fig)
    return path


def _grid(per_epoch: dict[str, dict], mode: str):
    epochs = sorted(per_epoch, key=int)
    radii = sorted(per_epoch[epochs[0]][mode], key=float)
    return epochs, radii, [[per_epoch[e][mode][r] for r in radii] for e in epochs]


def _plot_training(training: dict[str, dict[str, dict]], path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dscr.report.tables import save_figure

    names = list(training)
    panels = [(n, False) for n in names] + [(n, True) for n in names[1:]]
    fig, axes = plt.subplots(2, len(panels), figsize=(3.6 * len(panels), 6), squeeze=False)
    for row, mode in enumerate(("high", "low")):
        for col, (name, diff) in enumerate(panels):
            epochs, radii, grid = _grid(training[name], mode)
            title = f"{name}: {mode}-pass"
            cmap, bounds = "viridis", {}
            if diff:
                _, _, base = _grid(training[names[0]], mode)
                grid = [[a - b for a, b in zip(r, q)] for r, q in zip(grid, base)]
                bound = max(1e-6, max(abs(v) for r in grid for v in r))
                title, cmap, bounds = f"{name} - {names[0]}: {mode}-pass", "RdBu", dict(vmin=-bound, vmax=bound)
            ax = axes[row, col]
            im = ax.imshow(grid, aspect="auto", origin="lower", cmap=cmap, **bounds)
            ax.set_yticks(range(len(epochs)))
            ax.set_yticklabels(epochs, fontsize=6)
            ax.set_xticks(range(len(radii)))
            ax.set_xticklabels(radii, fontsize=5)
            ax.set_xlabel("radius r")
            ax.set_ylabel("epoch")
            ax.set_title(title, fontsize=8)
            fig.colorbar(im, ax=ax)
    fig.tight_layout()
    path = save_figure(fig, path)
    plt.close(fig)
    return path
