# shellcheck shell=bash
# Shared part of the per-image smoke tests (images/<task>/smoke.sh), sourced inside the container.

# Print what the container is and fail if it runs as root or its `dscr` entry point is missing.
smoke_header() {
  echo "== ${DSCR_TASK:-?} image: user $(id -un) (uid $(id -u)), workdir $(pwd)"
  if [ "$(id -u)" -eq 0 ]; then
    echo "smoke: the container runs as root" >&2
    return 1
  fi
  python -c 'import sys, cv2, torch, torchvision; print(f"python {sys.version.split()[0]}, torch {torch.__version__}, torchvision {torchvision.__version__}, cuda available: {torch.cuda.is_available()}")'
  dscr --help >/dev/null
  dvc status >/dev/null  # DVC works in the workspace without git (core.no_scm, images/base/Dockerfile)
  for dir in data runs reports .dvc/cache .dscr; do
    if ! { touch "$dir/.smoke-write" && rm "$dir/.smoke-write"; }; then
      echo "smoke: $dir is not writable" >&2
      return 1
    fi
  done
}

# Run the task's tests when the repository has them (some tasks are still being written), else import the
# task's packages. Args: the tests folder, then the modules to import.
smoke_tests_or_imports() {
  local tests="$1"
  shift
  if compgen -G "$tests/test_*.py" >/dev/null; then
    echo "== python -m pytest -q $tests"
    python -m pytest -q "$tests"
  else
    echo "== no tests in $tests yet: importing $*"
    local module
    for module in "$@"; do
      python -c "import $module; print('imported', '$module')"
    done
  fi
}
