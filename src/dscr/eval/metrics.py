"""Robustness metrics of the paper (robustness accuracy: the mean over a suite's corruptions and severities; the
relative gain of appendix A.4) and mCE (Hendrycks & Dietterich, 2019): pure functions on accuracy tables, no torch."""

from __future__ import annotations

from statistics import mean

# AlexNet's ImageNet-C top-1 error per corruption, averaged over the 5 severities (Hendrycks & Dietterich,
# 2019; hendrycks/robustness, as used by google-research/augmix for mCE).
ALEXNET_ERR = {
    "gaussian_noise": 0.886428, "shot_noise": 0.894468, "impulse_noise": 0.922640, "defocus_blur": 0.819880,
    "glass_blur": 0.826268, "motion_blur": 0.785948, "zoom_blur": 0.798360, "snow": 0.866816,
    "frost": 0.826572, "fog": 0.819324, "brightness": 0.564592, "contrast": 0.853204,
    "elastic_transform": 0.646056, "pixelate": 0.717840, "jpeg_compression": 0.606500,
}


def summarize(corruptions: dict[str, dict[str, float]]) -> dict:
    """Robustness accuracy (the mean over every corruption x severity), per-severity and per-corruption means.

    Args:
        corruptions: accuracy (%) per corruption name, then per severity (string keys, as in JSON).
    """
    cells = [acc for per_severity in corruptions.values() for acc in per_severity.values()]
    severities = sorted({s for per_severity in corruptions.values() for s in per_severity}, key=int)
    return {
        "robustness_accuracy": mean(cells),
        "severity_means": {s: mean(c[s] for c in corruptions.values() if s in c) for s in severities},
        "corruption_means": {name: mean(per_severity.values()) for name, per_severity in corruptions.items()},
    }


def mce(corruptions: dict[str, dict[str, float]]) -> float | None:
    """Mean corruption error (%) normalised by AlexNet's errors; None unless all 15 ImageNet-C ones are there."""
    if not set(ALEXNET_ERR) <= set(corruptions):
        return None
    ce = [mean(100.0 - acc for acc in corruptions[name].values()) / 100.0 / ALEXNET_ERR[name]
          for name in ALEXNET_ERR]
    return 100.0 * mean(ce)


def relative_gain(sparse: float, dense: float) -> float:
    """The paper's relative robustness gain (figures 10-15): (Acc_sparse - Acc_dense) / Acc_dense."""
    return (sparse - dense) / dense
