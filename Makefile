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

.PHONY: help setup lock data test test-slow demo bench clean

help:
	@grep -E '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 28

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

test: setup ## run the test suite (CPU, a few minutes)
	$(PY) -m pytest -n 2 -q

test-slow: setup ## run the slow tests too
	$(PY) -m pytest -q -m "slow"

demo: data ## the main job on its embedded default
	$(DSCR) train --config tasks/classification/configs/smoke.yaml

bench: setup ## throughput benchmarks (ratios measured side by side)
	$(PY) benchmarks/train_throughput.py

clean:
	rm -rf runs reports
