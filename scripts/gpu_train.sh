#!/usr/bin/env bash
# Train on a lent GPU from the packed data (scripts/gpu_pack.sh): the lite x4 and x2 models
# fine-tuned from the shipped weights on data v2 (video, photos, clip art; all windows (GPU_REAL)
# degraded like real sources, x264/x265/MPEG-2 round trips through the carried PyAV), each for a
# fixed slot with its learning rate decayed over that slot (train --lr-over-minutes), since the
# speed there is not known in advance. A lent session has 15 minutes of device time and 10 per
# command, so the slots are 2.5 and 1.0 minutes of training (GPU_TRAIN_MINUTES="X4 X2" changes
# them, 0 skips a run; each run adds about a minute of start-up, validation and saving); scripts/gpu_session.sh
# runs this inside its one call. A run that fails is reported and the next one still runs.
#
# Each run folder $RUNS/<run>/ gets last.pt (resumable), log.jsonl (losses and the validation
# curve on 16 windows, train --val), config.json, loss.png and the fp16 export
# stvun_lite_x<s>.safetensors (checked under 16 MiB).
#   RUNS=/some/dir scripts/gpu_train.sh   (there, in the source tree; python3 with torch + OpenCV)
# GPU_HEAD=1: train only lite-real's fusion heads (train --fusion-only), batch 8 on patches of
#   GPU_HEAD_PATCH px (default 704, most of a 720p frame): DIS then sees about what it sees on whole
#   frames in use, where 192 px patches teach the head to distrust it (docs/training/README.md,
#   "lite_x2_fusefull"); on two CPU cores such a run gets 250 windows an hour. The heads get the
#   soft candidates (--fusion-base; the x4 file has them since stop 24, the x2 head starts them at
#   zero) and the splatted one (--fusion-splat, stop 25), and train on minus each frame's PSNR, as
#   lite_x4_fusesoft did.
# GPU_TRAIN_TINY=1: a few iterations on the CPU (the test).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu_env.sh
data=${TRAINDATA:-.traindata}
runs=${RUNS:-runs/gpu}
[ -d "$data/clips" ] || { echo "no packed data in $data: run scripts/gpu_pack.sh first" >&2; exit 1; }
mapfile -t specs < <("$py" -m vsstvun.data.pack --list "$data")
# An empty list would train on the default sources, which that machine does not have.
[ ${#specs[@]} -gt 0 ] || { echo "no sources listed in $data" >&2; exit 1; }
sources=()
for s in "${specs[@]}"; do sources+=(--source "$s"); done
codecs=() # the tiny run goes without them
if [ "${GPU_TRAIN_TINY:-0}" != 1 ] && "$py" -c "import av" 2>/dev/null; then codecs=(x264 x265 mpeg2); fi
read -r minutes_x4 minutes_x2 <<<"${GPU_TRAIN_MINUTES:-2.5 1.0}"

w=vsstvun/weights
# Each scale starts from its real-source weights (lite-real), or from lite where those are missing;
# GPU_REAL is the share of windows degraded (1.0 = all, what lite-real was trained on).
init() {
    local file="$w/stvun_lite_real_x$1.safetensors"
    [ -f "$file" ] || file="$w/stvun_lite_x$1.safetensors"
    echo "$file"
}
real=${GPU_REAL:-1.0}
# GPU_FLOW_LR=S: the flow net trains too, end to end as in the paper, at S times the learning rate
# (train --flow-lr-scale; e.g. 0.1), instead of frozen. Its export then carries a flow net of its
# own: convert it without --shared-flow. `trains`: which part of the network trains.
trains=(--freeze-flow)
[ -n "${GPU_FLOW_LR:-}" ] && trains=(--flow-lr-scale "$GPU_FLOW_LR")
# GPU_PSNR=1: the centre and in-between frames score minus each frame's PSNR, what the evaluation
# reports, instead of the paper's L1 (train --psnr; the heads of GPU_HEAD always train on it).
[ "${GPU_PSNR:-0}" = 1 ] && trains+=(--psnr)
# GPU_AMP=1: bf16 autocast (train --amp): 1.75x faster on the 2-core CPU at no cost per step
# (docs/training/README.md, "lite_x4_amp30"); untimed on a GPU, where the data workers may bound it.
[ "${GPU_AMP:-0}" = 1 ] && trains+=(--amp)
# The GPU slot's patches (x4, x2), batch, save interval and validation windows; GPU_HEAD's below.
patches=(192 128) batch=16 save_every=500 val=16
if [ "${GPU_HEAD:-0}" = 1 ]; then
    [ -n "${GPU_FLOW_LR:-}" ] && { echo "GPU_HEAD trains the fusion head alone: no GPU_FLOW_LR" >&2; exit 1; }
    trains=(--fusion-ch 48 --fusion-dis --fusion-split --fusion-base --fusion-splat --fusion-only --psnr
        --fusion-extra-lr-scale 10)
    patches=("${GPU_HEAD_PATCH:-704}" "${GPU_HEAD_PATCH:-704}") batch=8 save_every=100 val=8
fi
if [ "${GPU_TRAIN_TINY:-0}" = 1 ]; then
    # name scale iterations minutes patch
    plan=("lite_x4 4 2 1 32" "lite_x2 2 2 1 32")
    common=(--batch-size 2 --device cpu --workers 0 --save-every 1000 --val 2)
else
    plan=("lite_x4 4 20000 $minutes_x4 ${patches[0]}" "lite_x2 2 20000 $minutes_x2 ${patches[1]}")
    common=(--batch-size "$batch" --device cuda --workers "${GPU_TRAIN_WORKERS:-14}" --save-every "$save_every" --val "$val")
fi

train() { # name scale iterations minutes patch
    local name=$1 scale=$2 iterations=$3 minutes=$4 patch=$5
    "$py" -m vsstvun.train --out "$runs/$name" --preset lite --scale "$scale" --patch "$patch" \
        --init "$(init "$scale")" "${trains[@]}" --stage1-iters 0 --stage2-iters "$iterations" \
        --max-minutes "$minutes" --lr-over-minutes --lr 2e-4 --w-teacher 0 --strides 2 4 8 --motion-scale 3 \
        --real "$real" --codecs "${codecs[@]}" "${sources[@]}" "${common[@]}" || return
    local file="$runs/$name/stvun_lite_x$scale.safetensors" bytes
    bytes=$(stat -c %s "$file") || return
    if [ "$bytes" -ge $((16 * 1024 * 1024)) ]; then
        echo "$file is $bytes bytes, over 16 MiB" >&2
        return 1
    fi
    "$py" -m vsstvun.train.plot "$runs/$name" || true
    echo "$name: $file ($bytes bytes)"
}

failed=0
for run in "${plan[@]}"; do
    read -r _ _ _ minutes _ <<<"$run"
    awk -v m="$minutes" 'BEGIN { exit !(m + 0 <= 0) }' && continue # a slot of 0 minutes skips that run
    # shellcheck disable=SC2086 # the plan's fields are words
    train $run || { echo "run ${run%% *} failed" >&2; failed=1; }
done
exit $failed
