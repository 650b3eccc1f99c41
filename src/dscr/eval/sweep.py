"""Accuracy of one or several models on a test set, clean and under every corruption x severity of a suite.

Models are given as `predict(images_uint8) -> logits` callables, so the sweep knows nothing about tasks.
Each test batch is corrupted once per (corruption, severity) and scored by every model, so comparing five
models costs one corruption pass. Randomness comes from `dscr.corrupt.batch_generator(seed, corruption,
severity, batch_index)`, the same generator `dscr corrupt` uses when writing a suite to disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
from tqdm import tqdm

from dscr.config import DscrError
from dscr.corrupt import Suite, batch_generator
from dscr.engine.io import read_npy

Predict = Callable[[torch.Tensor], torch.Tensor]
Batches = Sequence[tuple[torch.Tensor, torch.Tensor]]


@torch.no_grad()
def _score(predicts: dict[str, Predict], batches: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, float]:
    correct = {name: 0 for name in predicts}
    count = 0
    for images, labels in batches:
        for name, predict in predicts.items():
            correct[name] += int((predict(images).argmax(1) == labels).sum())
        count += labels.shape[0]
    return {name: 100.0 * c / max(count, 1) for name, c in correct.items()}


def clean_accuracy(predicts: dict[str, Predict], batches: Batches) -> dict[str, float]:
    return _score(predicts, batches)


def corruption_sweep(predicts: dict[str, Predict], batches: Batches, suite: Suite, *, seed: int = 0,
                     corruptions: Sequence[str] | None = None, severities: Sequence[int] | None = None,
                     progress: bool = True) -> dict[str, dict[str, dict[str, float]]]:
    """On-the-fly sweep: returns {model: {corruption: {severity: accuracy %}}}.

    Args:
        predicts: model name -> callable mapping a uint8 (N, C, H, W) batch to logits.
        batches: the clean test batches (uint8 images, labels), already on the models' device.
        suite: the corruption suite; `corruptions` / `severities` select a part of it.
        seed: the corruption seed (same seed, same corrupted test set).
    """
    corruptions = list(corruptions or suite.corruptions)
    severities = list(severities or suite.severities)
    results: dict[str, dict[str, dict[str, float]]] = {name: {c: {} for c in corruptions} for name in predicts}
    cells = [(c, s) for c in corruptions for s in severities]
    for corruption, severity in tqdm(cells, desc=f"{suite.name}", disable=None if progress else True):
        def corrupted():
            for b, (images, labels) in enumerate(batches):
                g = batch_generator(seed, corruption, severity, b, images.device)
                yield suite.apply(corruption, images, severity, g), labels
        for name, acc in _score(predicts, corrupted()).items():
            results[name][corruption][str(severity)] = acc
    return results


def npy_sweep(predicts: dict[str, Predict], folder: str | Path, corruptions: Sequence[str],
              device: torch.device, batch_size: int = 500, progress: bool = True,
              labels: np.ndarray | None = None, severities: int | None = None) -> dict:
    """Sweep over a CIFAR-C style folder: `<corruption>.npy` (severities stacked, N*S x H x W x C) and
    `labels.npy` (N or N*S labels).

    Args:
        labels: the clean test labels the folder must hold (N of them, or repeated per severity): a folder
            written from other images, or from another number of them, is refused rather than scored.
        severities: S, when known (the suite's): each corruption file must hold N*S images.
    """
    folder = Path(folder)
    labels_all = np.array(read_npy(folder / "labels.npy", "labels file"))  # small: a writable copy
    n = len(labels) if labels is not None else _images_per_severity(folder, labels_all, corruptions)
    if labels is not None and not _holds(labels_all, np.asarray(labels)):
        raise DscrError(f"{folder}/labels.npy ({len(labels_all)} labels) does not match the {n} test images "
                        f"evaluated here: written from other images or with another --limit?")
    results: dict = {name: {} for name in predicts}
    for corruption in tqdm(corruptions, desc=folder.name, disable=None if progress else True):
        images_all = read_npy(folder / f"{corruption}.npy", corruption)
        if images_all.ndim != 4 or len(images_all) % n or (severities and len(images_all) != n * severities):
            raise DscrError(f"{folder}/{corruption}.npy holds {images_all.shape}; expected N*S x H x W x C with "
                            f"N = {n} images" + (f" and S = {severities} severities" if severities else ""))
        for severity in range(1, len(images_all) // n + 1):
            part = slice((severity - 1) * n, severity * n)
            labels_part = torch.from_numpy(np.asarray(labels_all[:n] if len(labels_all) == n else labels_all[part]))

            def batches():
                for i in range(0, n, batch_size):
                    x = torch.from_numpy(np.array(images_all[part][i:i + batch_size]))  # a writable copy
                    yield x.permute(0, 3, 1, 2).to(device), labels_part[i:i + batch_size].to(device)
            for name, acc in _score(predicts, batches()).items():
                results[name].setdefault(corruption, {})[str(severity)] = acc
    return results


def _holds(labels_all: np.ndarray, labels: np.ndarray) -> bool:
    """Whether a folder's labels are `labels`, once or repeated once per severity."""
    n = len(labels)
    return n > 0 and len(labels_all) % n == 0 and np.array_equal(labels_all, np.tile(labels, len(labels_all) // n))


def _images_per_severity(folder: Path, labels_all: np.ndarray, corruptions: Sequence[str]) -> int:
    """N when the caller does not know it, for 5 severities: labels hold N, or N*5 (`dscr corrupt` repeats them)."""
    images = read_npy(folder / f"{corruptions[0]}.npy", corruptions[0])
    n = len(labels_all) if len(labels_all) * 5 == len(images) else len(labels_all) // 5
    if n == 0 or len(images) != 5 * n:
        raise DscrError(f"{folder}: {len(labels_all)} labels do not fit the {len(images)} images of "
                        f"{corruptions[0]}.npy (N or 5*N labels for N*5 images)")
    return n


def folder_sweep(predicts: dict[str, Predict], folder: str | Path, make_loader: Callable[[Path], Iterable],
                 corruptions: Sequence[str], severities: Sequence[int], progress: bool = True) -> dict:
    """Sweep over an ImageNet-C style folder `<corruption>/<severity>/<class>/*`; `make_loader(path)` yields
    (uint8 images, labels) batches on the device for one class-folder tree."""
    folder = Path(folder)
    results: dict = {name: {} for name in predicts}
    cells = [(c, s) for c in corruptions for s in severities]
    for corruption, severity in tqdm(cells, desc=folder.name, disable=None if progress else True):
        for name, acc in _score(predicts, make_loader(folder / corruption / str(severity))).items():
            results[name].setdefault(corruption, {})[str(severity)] = acc
    return results
