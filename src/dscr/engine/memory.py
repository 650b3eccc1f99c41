"""Peak memory of a stretch of work: CUDA's largest allocation on the device, or the process's peak RSS on CPU.

    reset_peak(device)
    ...train...
    peak = peak_memory(device)   # {"bytes": ..., "kind": "cuda_max_allocated" | "cpu_peak_rss"}

On CUDA this is `torch.cuda.max_memory_allocated` after `reset_peak_memory_stats` (tensors only, not the
caching allocator's reserve nor the CUDA context). On Linux CPUs it is the process's resident-set high-water
mark (VmHWM), which `reset_peak` lowers to the current RSS by writing 5 to /proc/self/clear_refs (Linux 4.0+),
so a second run in the same process (`dscr demo` trains five) reports its own peak. Where that file cannot be
written the peak is the process's since start (`getrusage`), and the kind says so.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _reset_rss_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def _rss_peak_bytes() -> int:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # reported in kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, kB on Linux


class PeakMemory:
    """Measures the peak memory between `reset()` and `read()` on one device."""

    def __init__(self, device: torch.device):
        self.device = torch.device(device)
        self.since_start = False

    def reset(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            self.since_start = not _reset_rss_peak()

    def read(self) -> dict:
        """{"bytes": the peak, "kind": what was measured}."""
        if self.device.type == "cuda":
            return {"bytes": int(torch.cuda.max_memory_allocated(self.device)), "kind": "cuda_max_allocated"}
        kind = "cpu_peak_rss_since_process_start" if self.since_start else "cpu_peak_rss"
        return {"bytes": _rss_peak_bytes(), "kind": kind}
