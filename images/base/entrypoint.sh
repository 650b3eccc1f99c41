#!/bin/sh
# Container entry point: `docker run IMAGE train --config ...` runs `dscr train --config ...`, while a program
# found on PATH (`make reproduce-table2`, `torchrun ...`, `dvc repro`, `bash`) runs as given.
set -e
# In /workspace, dvc.lock and manifests/ are links into the state folder (.dscr, mounted from the host:
# images/README.md). A new state folder gets what they point to: DVC rejects a lock that is a link to nothing.
if [ -L manifests ] && [ ! -e manifests ]; then
  mkdir -p "$(readlink manifests)" || echo "dscr-entrypoint: is the state folder writable by uid $(id -u)?" >&2
fi
if [ -L dvc.lock ] && [ ! -e dvc.lock ]; then
  printf "schema: '2.0'\nstages: {}\n" >"$(readlink dvc.lock)" \
    || echo "dscr-entrypoint: is the state folder writable by uid $(id -u)?" >&2
fi
if [ "$#" -eq 0 ]; then
  set -- --help
fi
case "$1" in
  -*) exec dscr "$@" ;;
esac
# `command -v` prints a path for programs and a bare name for shell builtins (which must go to dscr).
case "$(command -v -- "$1" 2>/dev/null || true)" in
  /*) exec "$@" ;;
esac
exec dscr "$@"
