#!/usr/bin/env bash
# Build a local stand-in for the CUDA base image: a minimal Debian root with Python, made by debootstrap and
# loaded with `docker import`. Machines that cannot pull from a container registry (CI, this project's
# workstations) build the task images on top of it to test them on the CPU.
#
# Usage: images/make_local_base.sh [TAG]      (default dscr/local-debian:bookworm; needs root, debootstrap, docker)
# Env:   DEBIAN_SUITE (bookworm: Python 3.11, the version the lock was resolved with), DEBIAN_MIRROR (default: the
#        first mirror apt is configured with here), REBUILD=1 to replace an existing image.
set -euo pipefail

TAG="${1:-dscr/local-debian:bookworm}"
SUITE="${DEBIAN_SUITE:-bookworm}"

if [ -z "${REBUILD:-}" ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "make_local_base: $TAG already present (REBUILD=1 to rebuild)"
  exit 0
fi

apt_mirror() {
  # deb822 sources first (URIs: line), then one-line sources.list entries; security mirrors are skipped.
  local uri
  uri="$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)"
  if [ -z "$uri" ]; then
    uri="$(grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | awk '{print $2}' | grep -v security | head -n1 || true)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

pip_cert() {
  # The CA bundle pip is configured with (env first, then config files): on machines whose traffic to the
  # registry passes a TLS proxy, that bundle holds the proxy's CA and pip inside the build needs it too.
  local python
  python="$(command -v python3)"
  "$python" -m pip config list 2>/dev/null | sed -n "s/^[^=]*\.cert='\(.*\)'$/\1/p" | head -n1
}

MIRROR="${DEBIAN_MIRROR:-$(apt_mirror)}"
ROOTFS="$(mktemp -d /var/tmp/dscr-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

echo "make_local_base: debootstrap $SUITE from $MIRROR"
start=$SECONDS
# make: `docker run IMAGE make ...` runs the project's targets; python3-venv brings ensurepip for the venv.
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,make \
  "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 || { tail -n 20 "$ROOTFS.log"; rm -f "$ROOTFS.log"; exit 1; }
rm -f "$ROOTFS.log"

cert="$(pip_cert)"
if [ -n "$cert" ] && [ -f "$cert" ]; then
  mkdir -p "$ROOTFS$(dirname "$cert")"
  cp "$cert" "$ROOTFS$cert"
  echo "make_local_base: copied pip's CA bundle over $cert in the root"
fi

# Package caches are not needed in the image; removing them keeps the base small.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | docker import --change 'CMD ["/bin/bash"]' - "$TAG" >/dev/null
echo "make_local_base: $TAG built in $((SECONDS - start)) s," \
  "$(docker image inspect --format '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1 / 1e6}')"
