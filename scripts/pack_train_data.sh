#!/usr/bin/env bash
# Pack the training data (data v2) for scripts/gpu_train.sh into .traindata/ (ignored by git, under
# 60 MiB): the training clips, the training photos and the training side of the rendered clip art
# (see vsstvun/data/pack.py). Run here, where the media are installed; the folder then travels with
# the source tree. Usage: scripts/pack_train_data.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHONPATH=$PWD ${PYTHON:-.venv/bin/python} -m vsstvun.data.pack --out "${1:-.traindata}"
