#!/usr/bin/env bash
# Print `docker build` arguments that hand this machine's pip configuration to the image builds, so pip inside
# a build reaches the same registry as `make setup` here. Nothing host-specific is stored in the repository:
# the values are read at build time from `pip config list` (environment first, then config files).
#
# Only http(s) index URLs are passed: a file:// index or find-links folder of the host is not visible inside
# a build and is left out (the lock resolves from the registry alone). The CA bundle path is passed as
# PIP_CERT when set; images/make_local_base.sh copies that bundle to the same path in the local base.
set -euo pipefail

python="$(command -v python3)"
config="$("$python" -m pip config list 2>/dev/null || true)"

value_of() {
  # First match wins: `pip config list` prints the environment (:env:) entries before the files' entries.
  printf '%s\n' "$config" | sed -n "s/^[^=]*\.$1='\(.*\)'$/\1/p" | head -n1
}

http_only() {
  local url kept=()
  for url in $1; do
    case "$url" in
      http://* | https://*) kept+=("$url") ;;
      *) echo "pip_build_args: leaving out $url (not reachable from inside a build)" >&2 ;;
    esac
  done
  echo "${kept[*]:-}"
}

emit() {
  [ -n "$2" ] && printf -- '--build-arg "%s=%s" ' "$1" "$2"
  return 0
}

emit PIP_INDEX_URL "$(http_only "$(value_of index-url)")"
emit PIP_EXTRA_INDEX_URL "$(http_only "$(value_of extra-index-url)")"
emit PIP_TRUSTED_HOST "$(value_of trusted-host)"
emit PIP_CERT "$(value_of cert)"
echo
