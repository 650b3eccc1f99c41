# dscr: one make target per job. Every target installs what it needs (`make setup` runs once, then in seconds).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DSCR := $(VENV)/bin/dscr
STAMP := $(VENV)/.installed
PROFILE ?= full
# A sibling shared/data folder (as on the project's machines) serves as the offline data mirror.
export DSCR_DATA_MIRROR ?= $(abspath $(wildcard ../shared/data))

.PHONY: help setup lock data test test-slow demo bench bench-gpu clean profile reproduce-table2 reproduce-figure2 \
	reproduce-flops reproduce-table12
DVC := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/dvc
DEMO_ARGS ?=

help:
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 28

$(STAMP): requirements/lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/lock.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP) ## create .venv with the locked dependencies (seconds when up to date)

lock: ## re-resolve requirements/requirements.in into requirements/lock.txt
	$(PYTHON) -m venv /tmp/dscr-lock && /tmp/dscr-lock/bin/pip install -q -r requirements/requirements.in
	/tmp/dscr-lock/bin/pip freeze > requirements/lock.txt

data: setup ## materialise CIFAR-10 under data/ (mirror first, then the official download)
	$(DSCR) data cifar10

test: data ## run the test suite (CPU, a few minutes)
	$(PY) -m pytest -n 2 -q

test-slow: setup ## run the slow tests too
	$(PY) -m pytest -q -m "slow"

demo: data ## dense vs SET/RigL/MEST_g/GraNet_g on CIFAR-10, evaluated on all of CIFAR-10-C (DEMO_ARGS="--limit 0 --seeds 0,1,2" for the full test set and 3 seeds)
	$(DSCR) demo $(DEMO_ARGS)

profile: setup
	$(DSCR) pipeline profile $(PROFILE)

reproduce-table2: profile ## Table 2 through the DVC pipeline (PROFILE=full for GPUs, PROFILE=smoke for a CPU)
	$(DVC) repro report_table2

reproduce-figure2: profile ## Figure 2 and Figures 10-15 (sparsity sweep; PROFILE=smoke|full)
	$(DVC) repro report_figure2

reproduce-flops: setup ## Tables 4-7 from `dscr flops`, beside the paper's numbers
	$(DVC) repro report_flops

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
