#!/usr/bin/env bash
# The CUDA check on a GPU machine (PyTorch and CuPy installed, no network; run from the tree).
# Runs the CUDA/CuPy tests, then `python -m vsstvun.bench --suite gpu`: full and lite, fp16 and
# fp32, 960x540 -> 3840x2160, x2 time, torch vs CuPy warp, 1/2/4 streams and 2x2 tiles (the
# filter's rows and tests need VapourSynth there, and skip without it). Writes
# OUTDIR/{env.txt,tests.txt,bench_gpu.md,bench_gpu.json}; about 10-20 minutes on an H100.
# QUICK=1 (what scripts/gpu_session.sh runs in a lent session's first call): the model-level CUDA
# tests (60 s at most) and the gpu-quick suite (full and lite fp16; 100 s at most).
# FILTER=1 (a lent session's second call, the one that carries VapourSynth as .gpuvs/, which
# scripts/gpu_env.sh unpacks): the filter's tests with CUDA present, where the filter runs them all
# on the GPU (150 s at most), and the gpu-filter suite (section (b), filter vs direct, with 1 and 2
# CUDA streams and 2x2 tiles; 270 s at most):
#   device tool: run(command="FILTER=1 bash scripts/gpu_check.sh $OUT", carry=[".gpuvs"], timeout_s=480)
# The limits use `timeout --foreground` so that a caller's own timeout still reaches pytest and the bench.
# Targets to read off bench_gpu.md: full fp16 >= 10 output fps ("(a) cache payoff | cached"),
# CuPy warp >= 2x grid_sample ("(c) torch vs CuPy | backward_warp").
# Usage: scripts/gpu_check.sh OUTDIR [PYTHON]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/gpu_check.sh OUTDIR [PYTHON]}
mkdir -p "$out"
source scripts/gpu_env.sh
PY=${2:-$py}
status=0

{
    nvidia-smi || true
    "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name())"
    "$PY" -c "import cupy; print('cupy', cupy.__version__)" || echo "no CuPy"
    "$PY" -c "import vapoursynth as vs; print('vapoursynth', vs.core.version_number())" || echo "no VapourSynth"
} > "$out/env.txt" 2>&1
cat "$out/env.txt"

# CUDA paths of the test suite: kernels vs torch, the NVRTC compile, the bench, the filter on CUDA.
filter_tests=(plugin_tests/test_filter.py plugin_tests/test_streams.py plugin_tests/test_tiling.py plugin_tests/test_device.py)
if [ "${QUICK:-0}" = 1 ]; then
    tests=(plugin_tests/test_cuda_kernels.py plugin_tests/test_cuda_compile.py plugin_tests/test_warp.py)
    suite=gpu-quick test_s=60 bench_s=100
elif [ "${FILTER:-0}" = 1 ]; then
    tests=("${filter_tests[@]}")
    suite=gpu-filter test_s=150 bench_s=270
else
    tests=(plugin_tests/test_cuda_kernels.py plugin_tests/test_cuda_compile.py plugin_tests/test_bench.py
        plugin_tests/test_warp.py "${filter_tests[@]}")
    suite=gpu test_s=600 bench_s=1200
fi
timeout --foreground "$test_s" "$PY" -m pytest -q -rs -p no:cacheprovider "${tests[@]}" 2>&1 | tee "$out/tests.txt" || status=1

if ! timeout --foreground "$bench_s" "$PY" -m vsstvun.bench --suite "$suite" --no-progress \
    --json "$out/bench_gpu.json" > "$out/bench_gpu.md" 2> "$out/bench_gpu.log"; then
    status=1
    echo "the bench failed or ran out of time; the end of its log:"
    tail -n 40 "$out/bench_gpu.log"
fi
cat "$out/bench_gpu.md"
echo "results in $out (exit $status)"
exit $status
