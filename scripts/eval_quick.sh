#!/usr/bin/env bash
# The short x4 comparison behind docs/quality.md's real-source table: x2 time (Tin = 0.5), LR degraded
# clean / x264 CRF 18 / x264 CRF 28, on the first 25 frames of bikes (unseen live action), the
# first 33 frames of the held-out cel clip (clip art kept out of training) and Big Buck Bunny
# frames 100-124 (held out of training). A few minutes per model on two cores, where the full
# matrix (scripts/eval.sh) takes hours.
#
# Usage: scripts/eval_quick.sh [MODEL] [device]   MODEL: lite (default), lite-real or lite-clean
#        MODEL_PATH=FILE scripts/eval_quick.sh NAME   scores a training export under the name NAME
#        SCALE=2 scripts/eval_quick.sh ...            the x2 model, on a third of the frames (bikes
#                                                     0-8, cel 0-10, Big Buck Bunny 100-108)
#        DEGRADE=clean,x264:28 scripts/eval_quick.sh  fewer degradations (default clean,x264:18,x264:28)
#        FLOW_REFINE=BOX scripts/eval_quick.sh NAME   the flow clean-up window instead of the weights' own (0 = off)
#        TEMPORAL=warp scripts/eval_quick.sh NAME     in-between frames warped from the centre frames (the filter's temporal="warp")
#        TEMPORAL=fuse scripts/eval_quick.sh NAME     those and the decoder pass's merged by the weights' fusion head
# Output: results/eval/quick_x<SCALE>/<MODEL>/<clip>_t2/<degradation>/{eval.md,eval.json,eval.png,crop_*.png}
# Plots and crops are drawn for the packaged weights users are pointed to (lite, lite-real; no
# MODEL_PATH) alone; every other run writes its tables only, so compared-not-shipped results do
# not fill the repository with PNGs (the tree must stay small enough to travel to a GPU:
# scripts/gpu_pack.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/quick_clips.sh
model=${1:-lite}
device=${2:-cpu}
scale=${SCALE:-4}
out=results/eval/quick_x$scale/$model
tables=--tables-only
[[ $model =~ ^lite(-real)?$ && -z ${MODEL_PATH:-} ]] && tables=
run() { # name video extra-args...
    local name=$1 video=$2
    shift 2
    "$python" -m vsstvun.eval --video "$video" --name "$name" --scale "$scale" --time-factor 2 --crop 4 \
        --model "$model" ${MODEL_PATH:+--model-path "$MODEL_PATH"} $tables ${FLOW_REFINE:+--flow-refine "$FLOW_REFINE"} ${TEMPORAL:+--temporal "$TEMPORAL"} --degrade "${DEGRADE:-clean,x264:18,x264:28}" --device "$device" --out "$out/${name}_t2" "$@"
}
for_each_quick_clip $((scale == 2 ? 3 : 1))
