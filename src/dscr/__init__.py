"""dscr: reproduce "Dynamic Sparse Training versus Dense Training: The Unexpected Winner in Image
Corruption Robustness" (Wu et al., ICLR 2025).

Subpackages:
    dst       the vendored DST module (imports torch only)
    corrupt   the corruption engine (torch + numpy)
    engine    training-loop pieces shared by every task (distributed, checkpoints, meters)
    eval      robustness metrics and sweeps
    report    tables and figures (no torch)
    cli       the `dscr` command; the only place that imports `tasks`
"""

__version__ = "0.1.0"
