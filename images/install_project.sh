#!/usr/bin/env bash
# Install the project source copied to /workspace into the base image's venv. Runs as root in each task
# image's build. The locked dependencies are already in /opt/venv, so this adds only `dscr` itself (editable,
# no dependencies), and makes the Makefile's own setup step a no-op inside the container: `.venv` is the image's
# venv and its install stamp is newer than the lock, so `make reproduce-table2` runs without reinstalling;
# DVC works without git; and cv2 imports without X libraries.
set -euo pipefail
cd /workspace
pip install --no-cache-dir --quiet --no-deps --no-build-isolation -e .
# The lock holds both opencv-python (required by mmcv and grad-cam) and opencv-python-headless; they share the cv2
# package, and the GUI build's files need X libraries (libxcb) that a server image lacks: the headless build's
# files must be the ones in place.
headless="$(pip show opencv-python-headless | sed -n 's/^Version: //p')"
pip install --no-cache-dir --quiet --no-deps --force-reinstall "opencv-python-headless==$headless"
python -c "import cv2"
ln -sfn /opt/venv .venv
touch /opt/venv/.installed
# The image holds no .git, so DVC runs without an SCM (`dvc repro` works; a checkout mounted with its .git can
# turn git back on with `dvc config --local core.no_scm false`).
# Outside the workspace, so DVC leaves nothing (.dvc/tmp) owned by root in it.
(cd / && dvc config --system core.no_scm true)
dscr --help >/dev/null
# What the install wrote into the workspace (dscr.egg-info) belongs to the container's user like the rest.
chown -R dscr:dscr /workspace
