#!/usr/bin/env bash
# `make test-images`: build every image on a local Debian base (no registry image can be pulled here) and run
# each image's smoke test inside its container, on the CPU. Prints each image's size, build time and smoke
# output. Needs root (debootstrap, dockerd); installs docker.io and debootstrap with apt when they are missing,
# and starts (then stops) a Docker engine when none is running.
#
# Env: LOCAL_BASE (the debootstrapped base's tag), IMAGE_TAG (tag of the images under test, default cpu-test so
# real CUDA images are not overwritten), DSCR_DATA_MIRROR (folder with cifar10-jpeg.tar.gz; default ../shared/data).
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
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [ "${#VOLUMES[@]}" -gt 0 ]; then docker volume rm -f "${VOLUMES[@]}" >/dev/null 2>&1 || true; fi
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

declare -A BUILD_S SMOKE_S RESULT
# build NAME: one `make image-NAME` on the local base, timed; the log goes to $LOG_DIR/build-NAME.log.
build() {
  local name="$1" t0=$SECONDS
  echo "== building $IMAGE_PREFIX/$name:$IMAGE_TAG (log: $LOG_DIR/build-$name.log)"
  if ! make --no-print-directory -f images/images.mk "image-$name" BASE_IMAGE="$LOCAL_BASE" \
      IMAGE_PREFIX="$IMAGE_PREFIX" IMAGE_TAG="$IMAGE_TAG" >"$LOG_DIR/build-$name.log" 2>&1; then
    tail -n 30 "$LOG_DIR/build-$name.log"
    echo "test-images: building $name failed" >&2
    return 1
  fi
  BUILD_S[$name]=$((SECONDS - t0))
}

# smoke TASK: the image's generic checks, then images/TASK/smoke.sh inside a container. Every step ends in
# `|| return 1`: the caller's `if` switches errexit off inside.
smoke() {
  local task="$1" image="$IMAGE_PREFIX/$1:$IMAGE_TAG" t0=$SECONDS
  local data="dscr-smoke-$task-data" runs="dscr-smoke-$task-runs"
  VOLUMES+=("$data" "$runs")
  echo "== smoke: $image"
  # The entry point: no arguments is `dscr --help`; a dscr subcommand name goes to dscr.
  local help
  help="$(docker run --rm "$image")" || return 1
  grep -q '^usage: dscr' <<<"$help" || { echo "smoke: 'docker run $image' is not dscr --help" >&2; return 1; }
  help="$(docker run --rm "$image" train --help)" || return 1
  grep -q '^usage: dscr train' <<<"$help" \
    || { echo "smoke: 'docker run $image train --help' did not reach dscr" >&2; return 1; }
  docker run --rm \
    -v "$MIRROR:/mirror:ro" -e DSCR_DATA_MIRROR=/mirror \
    -v "$data:/workspace/data" -v "$runs:/workspace/runs" \
    "$image" bash "images/$task/smoke.sh" || return 1
  # The runs volume outlives the container: list what the smoke run left in it.
  echo "== runs volume after the smoke run:"
  docker run --rm -v "$runs:/workspace/runs" "$image" find runs -maxdepth 2 || return 1
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
build base
for task in "${TASKS[@]}"; do
  build "$task"
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

size_of() { docker image inspect --format '{{.Size}}' "$1" | awk '{printf "%.2f GB", $1 / 1e9}'; }
echo
echo "== make test-images summary (build seconds include layers reused from Docker's cache)"
printf '%-34s %10s %10s %10s %s\n' image size build_s smoke_s smoke
printf '%-34s %10s %10s %10s %s\n' "$LOCAL_BASE" "$(size_of "$LOCAL_BASE")" "${BUILD_S[local-base]}" - -
printf '%-34s %10s %10s %10s %s\n' "$IMAGE_PREFIX/base:$IMAGE_TAG" "$(size_of "$IMAGE_PREFIX/base:$IMAGE_TAG")" \
  "${BUILD_S[base]}" - -
for task in "${TASKS[@]}"; do
  printf '%-34s %10s %10s %10s %s\n' "$IMAGE_PREFIX/$task:$IMAGE_TAG" "$(size_of "$IMAGE_PREFIX/$task:$IMAGE_TAG")" \
    "${BUILD_S[$task]}" "${SMOKE_S[$task]:-?}" "${RESULT[$task]}"
done
echo "test-images: $([ $status -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
exit $status
