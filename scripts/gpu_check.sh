#!/usr/bin/env bash
# The first command on a rented GPU machine (e.g. an H100 for half an hour; PyTorch and CuPy
# installed, no network). Installs what scripts/gpu_pack.sh put in .whl/ (offline, only what is
# missing), runs the CUDA/CuPy tests, then `python -m vsstvun.bench --suite gpu`: full and lite,
# fp16 and fp32, 960x540 -> 3840x2160, x2 time, torch vs CuPy warp, 1/2/4 streams and 2x2 tiles.
# Writes OUTDIR/{env.txt,tests.txt,bench_gpu.md,bench_gpu.json}; about 10-20 minutes on an H100.
# Targets to read off bench_gpu.md: full fp16 >= 10 output fps ("(a) cache payoff | cached"),
# CuPy warp >= 2x grid_sample ("(c) torch vs CuPy | backward_warp").
# Usage: scripts/gpu_check.sh OUTDIR [PYTHON]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/gpu_check.sh OUTDIR [PYTHON]}
PY=${2:-${PYTHON:-python3}}
mkdir -p "$out"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
status=0

if [ -d .whl ]; then
    missing=()
    # module=package for each import whose wheel gpu_pack.sh fetched
    for mod_pkg in vapoursynth vsutil safetensors tqdm numpy pytest cv2=opencv-python-headless matplotlib av \
        cupy=cupy-cuda13x; do
        "$PY" -c "import ${mod_pkg%%=*}" 2>/dev/null || missing+=("${mod_pkg#*=}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing offline from .whl/: ${missing[*]}"
        "$PY" -m pip install --no-index --find-links .whl "${missing[@]}" || status=1
    fi
fi

{
    nvidia-smi || true
    "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name())"
    "$PY" -c "import cupy; print('cupy', cupy.__version__)" || echo "no CuPy"
    "$PY" -c "import vapoursynth as vs; print('vapoursynth', vs.core.version_number())" || echo "no VapourSynth"
} > "$out/env.txt" 2>&1
cat "$out/env.txt"

# CUDA paths of the test suite: kernels vs torch, the NVRTC compile, the bench, the filter on CUDA.
timeout 600 "$PY" -m pytest -q -rs plugin_tests/test_cuda_kernels.py plugin_tests/test_cuda_compile.py \
    plugin_tests/test_bench.py plugin_tests/test_warp.py plugin_tests/test_streams.py plugin_tests/test_tiling.py \
    2>&1 | tee "$out/tests.txt" || status=1

timeout 1200 "$PY" -m vsstvun.bench --suite gpu --no-progress --json "$out/bench_gpu.json" \
    > "$out/bench_gpu.md" 2> "$out/bench_gpu.log" || status=1
cat "$out/bench_gpu.md"
echo "results in $out (exit $status)"
exit $status
