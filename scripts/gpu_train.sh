#!/usr/bin/env bash
# Train on a rented GPU (one H100 for half an hour, no network) from the packed data: the lite x4
# and x2 models fine-tuned from the shipped weights on data v2 (video, photos, clip art; 60% of
# the windows degraded like real sources), and the bigger `base` x4 preset from scratch. Finishes
# in 25 minutes (each run stops at its --max-minutes and saves); the fp16 exports (each under
# 16 MiB, checked), logs and configs land in $OUT/<run>/.
#
#   scripts/pack_train_data.sh            # here, once: writes .traindata/
#   OUT=/some/dir scripts/gpu_train.sh    # there, in the source tree (python3 with torch + OpenCV)
#
# The codec round trip runs in-process through PyAV (scripts/gpu_pack.sh carries its wheel);
# where PyAV does not import, the real-source windows get blur jitter and noise only. Each run
# scores its exports on 16 validation windows (train --val), so its log carries the curve. The
# iteration counts are sized for about 10 it/s; slower, --max-minutes cuts the cosine schedule
# short. GPU_TRAIN_TINY=1: a few iterations on the CPU (the test).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
data=${TRAINDATA:-.traindata}
out=${OUT:-runs/gpu}
[ -d "$data/clips" ] || { echo "no packed data in $data: run scripts/pack_train_data.sh first" >&2; exit 1; }
export PYTHONPATH=$PWD
mapfile -t specs < <($py -m vsstvun.data.pack --list "$data")
sources=()
for s in "${specs[@]}"; do sources+=(--source "$s"); done
codecs=()  # the tiny run goes without them
if [ "${GPU_TRAIN_TINY:-0}" != 1 ] && $py -c "import av" 2>/dev/null; then codecs=(x264 x265 mpeg2); fi

if [ "${GPU_TRAIN_TINY:-0}" = 1 ]; then
    # name scale preset init stage1 stage2 minutes patch
    plan=("lite_x4 4 lite - 1 1 1 32" "lite_x2 2 lite - 0 1 1 32" "base_x4 4 base - 1 1 1 32")
    common=(--batch-size 2 --device cpu --workers 0 --save-every 1000 --val 2)
else
    w=vsstvun/weights
    plan=(
        "lite_x4 4 lite $w/stvun_lite_x4.safetensors 0 4000 7 128"
        "lite_x2 2 lite $w/stvun_lite_x2.safetensors 0 3000 5 96"
        "base_x4 4 base - 1000 5000 10 128"
    )
    common=(--batch-size 16 --device cuda --amp --workers 14 --save-every 500)
fi

for run in "${plan[@]}"; do
    read -r name scale preset init stage1 stage2 minutes patch <<<"$run"
    extra=()
    if [ "$init" != - ]; then extra=(--init "$init" --lr 2e-4); fi
    $py -m vsstvun.train --out "$out/$name" --preset "$preset" --scale "$scale" --patch "$patch" \
        --stage1-iters "$stage1" --stage2-iters "$stage2" --max-minutes "$minutes" \
        --strides 2 4 8 --motion-scale 2 --real 0.6 --codecs "${codecs[@]}" "${sources[@]}" \
        "${common[@]}" "${extra[@]}"
    file="$out/$name/stvun_${preset}_x${scale}.safetensors"
    bytes=$(stat -c %s "$file")
    if [ "$bytes" -ge $((16 * 1024 * 1024)) ]; then
        echo "$file is $bytes bytes, over 16 MiB" >&2
        exit 1
    fi
    echo "$name: $file ($bytes bytes)"
done
