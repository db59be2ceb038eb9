#!/usr/bin/env bash
# Flow accuracy behind the in-between frames (python -m vsstvun.eval.flowcheck): the network's
# flow X3 <-> X4 against DIS on the clean HR frames, beside DIS on the same LR input, and how much
# the in-between pass uses the centre features, on the quick evaluation's clips (bikes 0-24, the
# held-out cel clip 0-32, Big Buck Bunny 100-124), clean and x264 CRF 28. About 10 minutes on two cores.
#
# Usage: scripts/flow_check.sh [MODEL]            MODEL: lite (default), lite-real or lite-clean
#        MODEL_PATH=FILE scripts/flow_check.sh NAME   a training export under the name NAME
#        FLOW_REFINE=BOX scripts/flow_check.sh NAME   the flow clean-up window instead of the weights' own (0 = off)
# Output: results/eval/flowcheck/<MODEL>/{<clip>_<degradation>.json,summary.md}
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/quick_clips.sh
model=${1:-lite}
out=results/eval/flowcheck/$model
run() { # name video extra-args...
    local name=$1 video=$2
    shift 2
    "$python" -m vsstvun.eval.flowcheck --video "$video" --name "$name" --model "$model" \
        ${MODEL_PATH:+--model-path "$MODEL_PATH"} ${FLOW_REFINE:+--flow-refine "$FLOW_REFINE"} --degrade clean,x264:28 --out "$out" "$@"
}
for_each_quick_clip
