#!/usr/bin/env bash
# `make test-images`: build every image on a local Debian base (no registry image can be pulled here), check each
# one's packages against its locks, run each task's smoke test inside its container, and run images/README.md's
# pipeline command twice on the classification image: the first run executes the pipeline, the second must
# execute no stage. Everything on the CPU. Prints each image's size and build time. Needs root (debootstrap,
# dockerd); installs docker.io and debootstrap with apt when they are missing, and starts (then stops) a Docker
# engine when none is running.
#
# Env: LOCAL_BASE (the debootstrapped base's tag), IMAGE_TAG (tag of the images under test, default cpu-test so
# real CUDA images are not overwritten; the test variants are IMAGE_TAG-test), DSCR_DATA_MIRROR (folder with
# cifar10-jpeg.tar.gz; default ../shared/data), PIPELINE=0 to skip the two pipeline runs.
set -euo pipefail
cd "$(dirname "$0")/.."

LOCAL_BASE="${LOCAL_BASE:-dscr/local-debian:bookworm}"
IMAGE_PREFIX="${IMAGE_PREFIX:-dscr}"
IMAGE_TAG="${IMAGE_TAG:-cpu-test}"
TASKS=(classification video segmentation)
MIRROR="${DSCR_DATA_MIRROR:-}"
if [ -z "$MIRROR" ] && [ -d ../shared/data ]; then MIRROR="$(cd ../shared/data && pwd)"; fi
LOG_DIR="build/test-images"
mkdir -p "$LOG_DIR"
started=$SECONDS

ensure_tools() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "test-images: installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

DOCKERD_PID=""
ensure_engine() {
  docker info >/dev/null 2>&1 && return 0
  echo "test-images: starting dockerd (log: $LOG_DIR/dockerd.log)"
  dockerd >"$LOG_DIR/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  local waited
  for waited in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "test-images: dockerd did not come up in ${waited} s; see $LOG_DIR/dockerd.log" >&2
  return 1
}

VOLUMES=()
# shellcheck disable=SC2317,SC2329  # called by the EXIT trap
cleanup() {
  if [ "${#VOLUMES[@]}" -gt 0 ]; then docker volume rm -f "${VOLUMES[@]}" >/dev/null 2>&1 || true; fi
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

declare -A BUILD_S SMOKE_S RESULT
# build TARGET: one `make TARGET` of images/images.mk on the local base, timed; the log goes to
# $LOG_DIR/build-TARGET.log.
build() {
  local target="$1" t0=$SECONDS
  echo "== make $target (log: $LOG_DIR/build-$target.log)"
  if ! make --no-print-directory -f images/images.mk "$target" BASE_IMAGE="$LOCAL_BASE" \
      IMAGE_PREFIX="$IMAGE_PREFIX" IMAGE_TAG="$IMAGE_TAG" >"$LOG_DIR/build-$target.log" 2>&1; then
    tail -n 30 "$LOG_DIR/build-$target.log"
    echo "test-images: make $target failed" >&2
    return 1
  fi
  BUILD_S[$target]=$((SECONDS - t0))
}

# check_packages IMAGE LOCK...: the image's environment is exactly the union of the locks (markers evaluated for
# the image's Python), and where OpenCV is installed, its cv2 imports (no X libraries in these images).
check_packages() {
  local image="$1" locks=()
  shift
  for lock in "$@"; do locks+=("requirements/$lock.txt"); done
  docker run --rm "$image" bash -c '
    set -e
    pip check
    python requirements/locks.py check-env "$@"
    if pip show --quiet opencv-python-headless 2>/dev/null; then
      python -c "import cv2; print(\"cv2\", cv2.__version__, \"imports without X libraries\")"
    else
      echo "no OpenCV in this image"
      ! python -c "import cv2" 2>/dev/null
    fi' _ "${locks[@]}"
}

# smoke TASK: the runtime image's entry point and packages, then the -test image's packages and
# images/TASK/smoke.sh inside it. Every step ends in `|| return 1`: the caller's `if` switches errexit off inside.
smoke() {
  local task="$1" image="$IMAGE_PREFIX/$1:$IMAGE_TAG" test_image="$IMAGE_PREFIX/$1:$IMAGE_TAG-test" t0=$SECONDS
  local data="dscr-smoke-$task-data" runs="dscr-smoke-$task-runs"
  VOLUMES+=("$data" "$runs")
  # Fresh volumes: a run left by an interrupted earlier test would make `dscr train` refuse its folder.
  docker volume rm -f "$data" "$runs" >/dev/null 2>&1 || true
  echo "== smoke: $image"
  # The entry point: no arguments is `dscr --help`; a dscr subcommand name goes to dscr.
  local help
  help="$(docker run --rm "$image")" || return 1
  grep -q '^usage: dscr' <<<"$help" || { echo "smoke: 'docker run $image' is not dscr --help" >&2; return 1; }
  help="$(docker run --rm "$image" train --help)" || return 1
  grep -q '^usage: dscr train' <<<"$help" \
    || { echo "smoke: 'docker run $image train --help' did not reach dscr" >&2; return 1; }
  check_packages "$image" base "$task" || return 1
  echo "== smoke: $test_image"
  check_packages "$test_image" base "$task" test || return 1
  docker run --rm \
    -v "$MIRROR:/mirror:ro" -e DSCR_DATA_MIRROR=/mirror \
    -v "$data:/workspace/data" -v "$runs:/workspace/runs" \
    "$test_image" bash "images/$task/smoke.sh" || return 1
  SMOKE_S[$task]=$((SECONDS - t0))
}

ensure_tools
ensure_engine
if [ -z "$MIRROR" ] || [ ! -f "$MIRROR/cifar10-jpeg.tar.gz" ]; then
  echo "test-images: no CIFAR-10 mirror (set DSCR_DATA_MIRROR to the folder holding cifar10-jpeg.tar.gz)" >&2
  exit 2
fi

t0=$SECONDS
bash images/make_local_base.sh "$LOCAL_BASE"
BUILD_S[local-base]=$((SECONDS - t0))
build image-base
for task in "${TASKS[@]}"; do
  build "image-$task"
  build "image-$task-test"
done

status=0
for task in "${TASKS[@]}"; do
  # Process substitution, not a pipe: smoke runs in this shell, so its timing is kept.
  if smoke "$task" > >(tee "$LOG_DIR/smoke-$task.log") 2>&1; then
    RESULT[$task]=passed
  else
    RESULT[$task]=FAILED
    status=1
  fi
done

pipeline_result=skipped
if [ "${PIPELINE:-1}" != 0 ]; then
  if bash images/test_pipeline_run.sh "$IMAGE_PREFIX/classification:$IMAGE_TAG" "$MIRROR" \
      > >(tee "$LOG_DIR/pipeline.log") 2>&1; then
    pipeline_result=passed
  else
    pipeline_result=FAILED
    status=1
  fi
fi

size_of() { docker image inspect --format '{{.Size}}' "$1" | awk '{printf "%.2f GB", $1 / 1e9}'; }
echo
echo "== make test-images summary (build seconds include layers reused from Docker's cache)"
printf '%-38s %9s %8s %8s %s\n' image size build_s smoke_s smoke
printf '%-38s %9s %8s %8s %s\n' "$LOCAL_BASE" "$(size_of "$LOCAL_BASE")" "${BUILD_S[local-base]}" - -
printf '%-38s %9s %8s %8s %s\n' "$IMAGE_PREFIX/base:$IMAGE_TAG" "$(size_of "$IMAGE_PREFIX/base:$IMAGE_TAG")" \
  "${BUILD_S[image-base]}" - -
for task in "${TASKS[@]}"; do
  printf '%-38s %9s %8s %8s %s\n' "$IMAGE_PREFIX/$task:$IMAGE_TAG" "$(size_of "$IMAGE_PREFIX/$task:$IMAGE_TAG")" \
    "${BUILD_S[image-$task]}" "${SMOKE_S[$task]:-?}" "${RESULT[$task]}"
  printf '%-38s %9s %8s %8s %s\n' "$IMAGE_PREFIX/$task:$IMAGE_TAG-test" \
    "$(size_of "$IMAGE_PREFIX/$task:$IMAGE_TAG-test")" "${BUILD_S[image-$task-test]}" - -
done
echo "pipeline (images/README.md's run command, twice): $pipeline_result"
echo "test-images: $([ $status -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
exit $status
