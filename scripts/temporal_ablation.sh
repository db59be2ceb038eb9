#!/usr/bin/env bash
# Inference-time levers on STVUN's in-between frames (python -m vsstvun.eval.ablation), x4 and
# x2 time on the quick evaluation's clips (scripts/eval_quick.sh): bikes 0-24, the held-out cel
# clip 0-32, Big Buck Bunny 100-124; clean and x264 CRF 28. About 40 minutes on two cores.
#
# Usage: scripts/temporal_ablation.sh [MODEL] [device]
# Output: results/eval/temporal_ablation/<MODEL>/{<clip>_<degradation>.json,summary.md}
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/quick_clips.sh
model=${1:-lite}
device=${2:-cpu}
out=results/eval/temporal_ablation/$model
run() { # name video extra-args...
    local name=$1 video=$2
    shift 2
    "$python" -m vsstvun.eval.ablation --video "$video" --name "$name" --model "$model" \
        --degrade clean,x264:28 --device "$device" --out "$out" "$@"
}
for_each_quick_clip
