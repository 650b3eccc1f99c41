"""Robustness evaluation: metrics (robustness accuracy, mCE, relative gain) and corruption sweeps."""

from .metrics import ALEXNET_ERR, mce, relative_gain, summarize
from .sweep import (WRITER_MARKER, clean_accuracy, corruption_sweep, folder_corruptions, folder_origin, folder_sweep,
                    npy_layout, npy_sweep)

__all__ = ["ALEXNET_ERR", "mce", "relative_gain", "summarize", "clean_accuracy", "corruption_sweep",
           "folder_sweep", "folder_corruptions", "npy_sweep", "npy_layout", "folder_origin", "WRITER_MARKER"]
