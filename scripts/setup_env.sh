#!/usr/bin/env bash
# Create .venv with Python >= 3.12 and install vsstvun with its test/train extras, plus the
# Debian tools the demo and end-to-end tests need (x265, ffmpeg). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v x265 >/dev/null || ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq x265 ffmpeg >/dev/null
    else
        echo "please install x265 and ffmpeg (apt-get install x265 ffmpeg)" >&2
        exit 1
    fi
fi

source scripts/find_python.sh

if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,train]"
# vspipe finds its Python through a VSScript config file; write it for this venv (user config).
.venv/bin/python -m vapoursynth config >/dev/null
