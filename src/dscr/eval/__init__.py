"""Robustness evaluation: metrics (robustness accuracy, mCE, relative gain) and corruption sweeps."""

from .metrics import ALEXNET_ERR, mce, relative_gain, summarize
from .sweep import clean_accuracy, corruption_sweep, folder_sweep, npy_sweep

__all__ = ["ALEXNET_ERR", "mce", "relative_gain", "summarize", "clean_accuracy", "corruption_sweep",
           "folder_sweep", "npy_sweep"]
