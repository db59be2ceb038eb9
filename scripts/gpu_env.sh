# Sourced by the GPU scripts on the rented machine (run from the source tree's root): puts this
# checkout on PYTHONPATH and, when that machine's Python lacks PyAV (the in-process codec round
# trip of the training data), unpacks the copy scripts/gpu_pack.sh carried in .gpu/pyav.tar.xz
# (with Python's tarfile: the image may have no xz program). Output unbuffered and progress bars
# sparse, so a log cut by a time limit still holds what happened.
# Sets $py, the Python to use (PYTHON, default python3: the one holding PyTorch there).
py=${PYTHON:-python3}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 TQDM_MININTERVAL=${TQDM_MININTERVAL:-10}
if ! "$py" -c "import av" 2>/dev/null && [ -f .gpu/pyav.tar.xz ]; then
    site=${TMPDIR:-/tmp}/vsstvun-pyav
    [ -d "$site/av" ] || "$py" -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter='tar')" \
        .gpu/pyav.tar.xz "$site" || echo "could not unpack .gpu/pyav.tar.xz: training goes without codec round trips" >&2
    export PYTHONPATH=$PYTHONPATH:$site
fi
