# Sourced by the GPU scripts on the rented machine (run from the source tree's root): puts this
# checkout on PYTHONPATH and, when that machine's Python lacks PyAV (the in-process codec round
# trip of the training data) or VapourSynth (the filter check), unpacks the copy
# scripts/gpu_pack.sh made, where the call carried it: .gpu/pyav.tar.xz, .gpuvs/vapoursynth.whl
# (with Python's tarfile and zipfile: the image may have no xz program and no network for pip).
# Output unbuffered and progress bars sparse, so a log cut by a time limit still holds what happened.
# Sets $py, the Python to use (PYTHON, default python3: the one holding PyTorch there).
py=${PYTHON:-python3}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 TQDM_MININTERVAL=${TQDM_MININTERVAL:-10}
# unpack MODULE ARCHIVE WHAT: puts ARCHIVE's files (a .tar.xz, or a wheel: a zip) on PYTHONPATH
# when $py cannot import MODULE; WHAT says what goes missing where that fails.
unpack() {
    local module=$1 archive=$2 what=$3 site=${TMPDIR:-/tmp}/vsstvun-$1
    "$py" -c "import $module" 2>/dev/null && return
    [ -f "$archive" ] || return 0
    if [ ! -d "$site" ]; then # unpacked beside, then renamed: a cut-short unpack is never taken for one
        rm -rf "$site.part"
        "$py" -c "import sys, tarfile, zipfile
a, d = sys.argv[1:]
zipfile.ZipFile(a).extractall(d) if zipfile.is_zipfile(a) else tarfile.open(a).extractall(d, filter='tar')" \
            "$archive" "$site.part" && mv "$site.part" "$site" || { echo "could not unpack $archive: $what" >&2; return 0; }
    fi
    export PYTHONPATH=$PYTHONPATH:$site
}
unpack av .gpu/pyav.tar.xz "training goes without codec round trips"
# Only the filter check's call (FILTER=1 scripts/gpu_check.sh) carries VapourSynth: see scripts/gpu_pack.sh.
unpack vapoursynth .gpuvs/vapoursynth.whl "the filter's CUDA tests and bench rows skip"
