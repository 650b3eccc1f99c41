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

# `dscr corrupt` leaves this file in every folder it writes; a folder without it holds published files.
WRITER_MARKER = "dscr-corrupt.json"


def folder_origin(folder: str | Path) -> str:
    """Who made a folder of corrupted images: "dscr corrupt" (it carries WRITER_MARKER) or "published"."""
    return "dscr corrupt" if (Path(folder) / WRITER_MARKER).is_file() else "published"


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


def npy_layout(folder: str | Path, corruptions: Sequence[str], severities: int,
               labels: np.ndarray | None = None) -> int:
    """Check a CIFAR-C style folder before anything is evaluated; returns the number of images per severity.

    The layout of the published CIFAR-10-C / CIFAR-100-C: `<corruption>.npy`, uint8 (severities * N, H, W, C),
    severities stacked in order, and `labels.npy` with N * severities (published) or N labels. A folder that
    `dscr corrupt` wrote from the test set must also hold `labels`, the labels of the test images evaluated
    here (once or per severity): one written from other images, or with another --limit, is refused.
    """
    folder = Path(folder)
    if not (folder / "labels.npy").is_file():
        raise DscrError(f"{folder}: no labels.npy (expected the CIFAR-C layout <corruption>.npy + labels.npy)")
    folder_labels = read_npy(folder / "labels.npy", "labels file")
    missing = [c for c in corruptions if not (folder / f"{c}.npy").is_file()]
    if missing:
        raise DscrError(f"{folder}: missing {', '.join(f'{c}.npy' for c in missing)}")
    sizes = set()
    for corruption in corruptions:
        images = read_npy(folder / f"{corruption}.npy", corruption)
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise DscrError(f"{folder / corruption}.npy: expected uint8 (N, H, W, C), got {images.dtype} "
                            f"{images.shape}")
        sizes.add(len(images))
    total = sizes.pop() if len(sizes) == 1 else 0
    n = total // severities
    if n == 0 or n * severities != total or len(folder_labels) not in (n, total):
        raise DscrError(f"{folder}: every <corruption>.npy must hold {severities} severities of the same N images "
                        f"and labels.npy N or {severities} x N labels (labels: {len(folder_labels)})")
    if labels is not None and folder_origin(folder) == "dscr corrupt" and not _holds(folder_labels, labels, n):
        raise DscrError(f"{folder}/labels.npy ({len(folder_labels)} labels) does not match the {len(labels)} test "
                        f"images evaluated here: written from other images or with another --limit?")
    return n


def _holds(folder_labels: np.ndarray, labels: np.ndarray, n: int) -> bool:
    """Whether a folder of N images per severity holds `labels` first (once, or at every severity)."""
    first = np.asarray(folder_labels[:n])
    per_severity = len(folder_labels) != n
    m = len(labels)
    if m > n or not np.array_equal(first[:m], labels):
        return False
    return not per_severity or np.array_equal(np.asarray(folder_labels), np.tile(first, len(folder_labels) // n))


def npy_sweep(predicts: dict[str, Predict], folder: str | Path, corruptions: Sequence[str],
              device: torch.device, batch_size: int = 500, progress: bool = True, *, severities: int = 5,
              limit: int = 0, labels: np.ndarray | None = None) -> dict:
    """Sweep over a CIFAR-C style folder (see `npy_layout`, checked first, with `labels`); `limit` > 0 scores
    the first `limit` images of each severity."""
    folder = Path(folder)
    n = npy_layout(folder, corruptions, severities, labels)
    used = n if limit <= 0 else min(limit, n)
    labels_all = np.array(read_npy(folder / "labels.npy", "labels file"))  # small: a writable copy
    results: dict = {name: {} for name in predicts}
    for corruption in tqdm(corruptions, desc=folder.name, disable=None if progress else True):
        images_all = read_npy(folder / f"{corruption}.npy", corruption)
        for severity in range(1, severities + 1):
            start = (severity - 1) * n
            part = slice(start, start + used)
            labels_part = torch.from_numpy(np.asarray(labels_all[:used] if len(labels_all) == n else labels_all[part]))

            def batches():
                for i in range(0, used, batch_size):
                    x = torch.from_numpy(np.array(images_all[part][i:i + batch_size]))  # a writable copy
                    yield x.permute(0, 3, 1, 2).to(device), labels_part[i:i + batch_size].to(device)
            for name, acc in _score(predicts, batches()).items():
                results[name].setdefault(corruption, {})[str(severity)] = acc
    return results


def folder_corruptions(folder: str | Path, severity_dirs: Sequence[str]) -> list[str]:
    """Names of the corruption folders of an ImageNet-C style tree: those holding every severity folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DscrError(f"corrupted images missing: {folder} is not a folder")
    return sorted(d.name for d in folder.iterdir() if d.is_dir() and all((d / s).is_dir() for s in severity_dirs))


def folder_sweep(predicts: dict[str, Predict], folder: str | Path, make_loader: Callable[[Path], Iterable],
                 corruptions: Sequence[str], severities: Sequence[int], progress: bool = True,
                 severity_dir: Callable[[str, int], str] = lambda corruption, severity: str(severity)) -> dict:
    """Sweep over an ImageNet-C style folder `<corruption>/<severity dir>/<class>/*`; `make_loader(path)` yields
    (uint8 images, labels) batches on the device for one class-folder tree. Every folder is checked first."""
    folder = Path(folder)
    cells = [(c, s) for c in corruptions for s in severities]
    missing = [f"{c}/{severity_dir(c, s)}" for c, s in cells if not (folder / c / severity_dir(c, s)).is_dir()]
    if missing:
        raise DscrError(f"{folder}: missing {len(missing)} corruption/severity folders: "
                        f"{', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}")
    results: dict = {name: {} for name in predicts}
    for corruption, severity in tqdm(cells, desc=folder.name, disable=None if progress else True):
        path = folder / corruption / severity_dir(corruption, severity)
        for name, acc in _score(predicts, make_loader(path)).items():
            results[name].setdefault(corruption, {})[str(severity)] = acc
    return results
