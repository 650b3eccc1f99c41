#!/bin/sh
# Container entry point: `docker run IMAGE train --config ...` runs `dscr train --config ...`, while a program
# found on PATH (`make reproduce-table2`, `torchrun ...`, `dvc repro`, `bash`) runs as given.
set -e
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
