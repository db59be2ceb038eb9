# Sourced by the GPU scripts on the rented machine (run from the source tree's root): puts this
# checkout on PYTHONPATH and, when that machine's Python lacks PyAV (the in-process codec round
# trip of the training data), unpacks the copy scripts/gpu_pack.sh carried in .gpu/pyav.tar.xz.
# Sets $py, the Python to use (PYTHON, default python3: the one holding PyTorch there).
py=${PYTHON:-python3}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
if ! "$py" -c "import av" 2>/dev/null && [ -f .gpu/pyav.tar.xz ]; then
    site=${TMPDIR:-/tmp}/vsstvun-pyav
    mkdir -p "$site" && tar -xJf .gpu/pyav.tar.xz -C "$site" && export PYTHONPATH=$PYTHONPATH:$site
fi
