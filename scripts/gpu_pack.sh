#!/usr/bin/env bash
# Run HERE (with network) before using a lent GPU: packs what the one device call
# (scripts/gpu_session.sh) carries beside the source tree, and checks that it all fits.
#   .traindata/         the training data (python -m vsstvun.data.pack: clips, photos, clip art; 7 MiB)
#   .gpu/pyav.tar.xz    PyAV for CPython 3.12 on x86-64 Linux (the wheel's files, xz: about 23 MiB),
#                       the codec round trip of the real-source windows; that machine has no PyAV
#                       and no network, and its wheel (35 MB zipped) would not fit
#   .gpuvs/vapoursynth.whl  VapourSynth's wheel for CPython 3.12 (6 MiB), for the filter check
#                       (FILTER=1 scripts/gpu_check.sh), a second call: it does not fit beside the
#                       first's data and PyAV
# All are ignored by git. A device call carries at most 64 MiB: the working tree (tracked and
# untracked-not-ignored files) plus the carried folders. This script fails when either call's sum is over.
# Usage: scripts/gpu_pack.sh   (then, in the session: run "bash scripts/gpu_session.sh" with
#        carry [".traindata", ".gpu"], and "FILTER=1 bash scripts/gpu_check.sh $OUT" with carry
#        [".gpuvs"]; see the scripts' headers)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
limit=$((${LIMIT_MIB:-64} * 1024 * 1024))

[ -d .traindata/clipart ] || PYTHONPATH=$PWD "$PY" -m vsstvun.data.pack --out .traindata
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# wheel NAME VERSION: downloads the CPython 3.12 x86-64 Linux wheel of NAME==VERSION into $tmp.
wheel() {
    "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d "$tmp" "$1==$2"
}
if [ ! -f .gpu/pyav.tar.xz ]; then
    wheel av "$("$PY" -c "import av; print(av.__version__)")"
    mkdir -p "$tmp/site" .gpu
    "$PY" -m zipfile -e "$tmp"/av-*.whl "$tmp/site"
    tar -C "$tmp/site" -cf - . | xz -9 -T0 > .gpu/pyav.tar.xz.part
    mv .gpu/pyav.tar.xz.part .gpu/pyav.tar.xz
fi
if [ ! -f .gpuvs/vapoursynth.whl ]; then
    wheel vapoursynth "$("$PY" -c "from importlib.metadata import version; print(version('vapoursynth'))")"
    mkdir -p .gpuvs
    mv "$tmp"/vapoursynth-*.whl .gpuvs/vapoursynth.whl
fi

# Files deleted from the tree but still in the index do not travel: stat skips them.
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null |
    awk '{s += $1} END {print s + 0}') || true
size() { find "$@" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
over=0
for call in ".traindata .gpu" ".gpuvs"; do
    # shellcheck disable=SC2086 # the call's folders are words
    carried=$(size $call) total=$((tree + carried))
    echo "a device call carrying ${call// / + } takes $(mib "$total") of $(mib "$limit"): tree $(mib "$tree"), carried $(mib "$carried")"
    [ "$total" -le "$limit" ] || over=1
done
if [ "$over" = 1 ]; then
    echo "over the limit: shrink the tracked tree (plots and crops of experiments are not needed) or the pack" >&2
    exit 1
fi
