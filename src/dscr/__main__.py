"""`python -m dscr ...`: the form torchrun launches (`torchrun --nproc_per_node N -m dscr train ...`)."""
import sys

from dscr.cli import main

sys.exit(main())
