#!/usr/bin/env bash
# Smoke test of the classification image, inside the container on the CPU: CIFAR-10 from a mounted mirror
# (DSCR_DATA_MIRROR) into the data volume, then one short epoch of the smoke config into the runs volume, once in
# one process and once as two torchrun processes.
set -euo pipefail
# shellcheck source=images/smoke_common.sh
source "$(dirname "$0")/../smoke_common.sh"
smoke_header
dscr data cifar10
dscr train --config tasks/classification/configs/smoke.yaml epochs=1 data.train_subset=2000 data.test_subset=500
# The multi-GPU launch of images/README.md, here with two CPU processes (gloo instead of NCCL).
torchrun --standalone --nproc-per-node=2 -m dscr train --config tasks/classification/configs/smoke.yaml \
  epochs=1 data.train_subset=2000 data.test_subset=500 name=smoke-torchrun threads=1
