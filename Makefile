# dscr: one make target per job. Every target installs what it needs (`make setup` runs once, then in seconds).
SHELL := /bin/bash
PYTHON ?= python3
# Inside a dscr image DSCR_VENV names the image's environment (/opt/venv, installed from the same locks): make
# uses it as it is and installs nothing, also with a checkout mounted over /workspace (images/README.md).
VENV := $(or $(DSCR_VENV),.venv)
PY := $(VENV)/bin/python
DSCR := $(VENV)/bin/dscr
STAMP := $(VENV)/.installed
PROFILE ?= full
# A sibling shared/data folder (as on the project's machines) serves as the offline data mirror.
export DSCR_DATA_MIRROR ?= $(abspath $(wildcard ../shared/data))

.PHONY: help setup lock test-lock data test test-slow demo bench bench-gpu clean reproduce-table2 reproduce-figure2 \
	reproduce-flops reproduce-table12
DVC := PATH="$(abspath $(VENV))/bin:$$PATH" $(abspath $(VENV))/bin/dvc
# Stages finished on another machine come from the DVC remote's run cache, when one is configured: its entries
# first (`dvc fetch --run-cache`, small files), then each stage's outputs as `dvc repro --pull` needs them.
# DRY=1 prints what would run instead (`dscr pipeline plan`). ENGINE=ray runs the training and evaluation stages
# as tasks on the Ray cluster at RAY_ADDRESS (`dscr launch`; LAUNCH_ARGS adds its options, e.g. --gpus-per-run 0.5).
ENGINE ?= dvc
RAY_ADDRESS ?= auto
LAUNCH_ARGS ?=
REPRO = $(if $(DRY),$(abspath $(VENV))/bin/dscr pipeline plan,$(if $(filter ray,$(ENGINE)),PATH="$(abspath \
	$(VENV))/bin:$$PATH" $(abspath $(VENV))/bin/dscr launch --address $(RAY_ADDRESS) $(LAUNCH_ARGS),$(DVC) repro --pull))
PULL_RUN_CACHE = if [ -z "$(DRY)" ] && [ -n "$$($(DVC) remote default 2>/dev/null)" ]; then $(DVC) fetch --run-cache -q; fi
DEMO_ARGS ?=

help:
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 28

ifdef DSCR_VENV
$(STAMP):
	@test -x $(PY) || { echo "DSCR_VENV=$(DSCR_VENV) holds no bin/python" >&2; exit 2; }
else
# Everything a developer needs (every task, the tests) from the hashed lock; `pip check` proves it is consistent.
# A venv made from the earlier lock holds the GUI build of OpenCV, whose cv2 files are the headless build's too:
# replacing it by the alias (requirements/opencv_alias.py) would delete them, so both go first.
$(STAMP): requirements/lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	if $(PY) -m pip show opencv-python 2>/dev/null | grep -qx 'Version: [0-9.]*'; then \
	  $(PY) -m pip uninstall -q -y opencv-python opencv-python-headless; fi
	$(PY) -m pip install -q --require-hashes -r requirements/lock.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $(STAMP)
endif

setup: $(STAMP) ## create .venv with the locked dependencies (seconds when up to date)

# The resolver, pinned; installed from the registry into build/ on first use (`make lock`, `make test-lock`).
UV_VERSION := 0.13.9
UV := build/uv/bin/uv
LOCK_GROUPS := base classification video segmentation test
# --universal: one lock with environment markers for every platform and Python >= 3.11 (3.11 and 3.12 are
# checked by `make test-lock`); overrides.txt points every `opencv-python` requirement at the headless build.
UV_COMPILE = $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--overrides requirements/overrides.txt --custom-compile-command "make lock"

$(UV):
	$(PYTHON) -m venv build/uv && build/uv/bin/pip install -q uv==$(UV_VERSION)

# requirements.in (everything) first, then each group's lock constrained to its versions, so that every lock
# pins the same version of a package (requirements/README.md).
lock: $(UV) ## re-resolve requirements/*.in into the hashed locks requirements/*.txt
	$(UV_COMPILE) requirements/requirements.in -o requirements/lock.txt
	grep -E '^[A-Za-z0-9]' requirements/lock.txt | sed 's/ \\$$//' > build/lock-constraints.txt
	for group in $(LOCK_GROUPS); do \
	  $(UV_COMPILE) -c build/lock-constraints.txt requirements/$$group.in -o requirements/$$group.txt || exit 1; done

test-lock: setup $(UV) ## the network checks of the locks: each resolves unchanged for Python 3.11 and 3.12
	DSCR_UV=$(UV) $(PY) -m pytest -q -m slow tests/test_requirements.py

data: setup ## materialise CIFAR-10 under data/ (mirror first, then the official download)
	$(DSCR) data cifar10

test: data ## run the test suite (CPU, a few minutes)
	$(PY) -m pytest -n 2 -q

test-slow: setup $(UV) ## run the slow tests too (the lock checks among them need uv and the registry)
	DSCR_UV=$(UV) $(PY) -m pytest -q -m "slow"

demo: data ## dense vs SET/RigL/MEST_g/GraNet_g on CIFAR-10, evaluated on all of CIFAR-10-C (DEMO_ARGS="--limit 0 --seeds 0,1,2" for the full test set and 3 seeds)
	$(DSCR) demo $(DEMO_ARGS)

reproduce-table2: setup ## Table 2 through the DVC pipeline (PROFILE=full for GPUs, PROFILE=smoke for a CPU)
	$(PULL_RUN_CACHE)
	$(REPRO) report_table2@$(PROFILE)

reproduce-figure2: setup ## Figure 2 and Figures 10-15 (sparsity sweep; PROFILE=smoke|full)
	$(PULL_RUN_CACHE)
	$(REPRO) report_figure2@$(PROFILE)

reproduce-flops: setup ## Tables 4-7 from `dscr flops`, beside the paper's numbers
	$(REPRO) report_flops

# Table 12 (segmentation): the full profile trains on Pascal VOC (VOC_ROOT, VGG16_WEIGHTS) on a GPU; the smoke
# profile only builds the report, marking runs that do not exist.
VOC_ROOT ?= data/VOCdevkit/VOC2012
VGG16_WEIGHTS ?=
reproduce-table12: setup ## Table 12: FCN-VGG16 on Pascal VOC-C, dense vs SET (PROFILE=full needs VOC and a GPU)
	if [ "$(PROFILE)" = full ]; then for c in fcn_vgg16_voc fcn_vgg16_voc_set_s0.2 fcn_vgg16_voc_set_s0.1; do \
	  $(DSCR) train-seg --config tasks/segmentation/configs/$$c.py data_root=$(VOC_ROOT) \
	    $(if $(VGG16_WEIGHTS),model.backbone.pretrained=$(VGG16_WEIGHTS)) || exit 1; done; \
	  for r in fcn_vgg16_voc_dense fcn_vgg16_voc_set_s0.2 fcn_vgg16_voc_set_s0.1; do \
	  $(DSCR) evaluate-seg runs/$$r --suite voc-c || exit 1; done; fi
	$(DSCR) report table12 --out reports/$(PROFILE)

bench: setup ## throughput benchmarks (ratios measured side by side)
	$(PY) benchmarks/train_throughput.py

bench-gpu: data ## the GPU suite: training, JPEG input, DST overhead, CIFAR-10-C, compile (one GPU, <= 8 minutes)
	$(PY) benchmarks/gpu_suite.py

include analyses.mk
include images/images.mk

clean:
	rm -rf runs reports
