#!/usr/bin/env bash
# Run HERE (with network) before a GPU day: download the wheels a rented GPU machine without
# network lacks, for Python 3.12 on x86-64 Linux, into .whl/ (git-ignored). Copy the source tree
# with .whl/ to the GPU machine and run scripts/gpu_check.sh there, which installs them offline.
# That machine is assumed to have PyTorch (CUDA) and CuPy; everything else vsstvun and its tests
# import comes from here. Usage: scripts/gpu_pack.sh [extra pip requirement ...]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
# Runtime deps without torch (there already), test deps, the train extra's modules that the bench
# and scripts/gpu_train.sh import (OpenCV, matplotlib, PyAV for the codec round trip), and CuPy in
# case that image lacks it.
reqs=(vapoursynth vsutil safetensors tqdm numpy pytest opencv-python-headless matplotlib av "cupy-cuda13x>=13.6" "$@")
"$PY" -m pip download --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    -d .whl "${reqs[@]}"
ls -1 .whl
