#!/usr/bin/env bash
# The whole GPU playbook as ONE device call, sized for what a lent session has: 15 minutes of
# device time in all (the machine's start included) and 10 minutes a command.
#
#   here, once:  scripts/gpu_pack.sh        # .traindata/ and .gpu/pyav.tar.xz; checks the 64 MiB
#   device tool: run(command="bash scripts/gpu_session.sh", carry=[".traindata", ".gpu"], timeout_s=600)
#
# At most 9.7 minutes, in this order, each part under its own time limit (TRAIN_S=390,
# CHECK_S=180; 0 skips that part, e.g. the check once a card's figures are in the README) so that
# one failing part leaves the others' results:
#   1. training (scripts/gpu_train.sh): lite x4 for 2.5 minutes, lite x2 for 1.0, fine-tuned from
#      the shipped weights on the packed data v2 with the codec round trips (PyAV);
#   2. the check (QUICK=1 scripts/gpu_check.sh): the model-level CUDA/CuPy tests and the bench's
#      gpu-quick suite (full and lite fp16, 960x540 -> 3840x2160). VapourSynth does not fit in
#      the call beside PyAV and the data: the filter's CUDA tests and rows are a second call
#      (FILTER=1 scripts/gpu_check.sh, carrying .gpuvs; see its header).
# $OUT gets at most 8 flat files (the device tool's limit): session.log, env.txt, tests.txt,
# bench_gpu.md, bench_gpu.json, train.tar.gz (each run's log.jsonl, config.json, loss.png) and the
# fp16 exports stvun_lite_x4.safetensors and stvun_lite_x2.safetensors (what scores them here:
# MODEL_PATH=... scripts/eval_quick.sh NAME). RUNS (default a temporary folder) keeps last.pt.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:?set OUT to the folder that comes back}
runs=${RUNS:-$(mktemp -d)}
mkdir -p "$out"
exec > >(tee "$out/session.log") 2>&1
started=$(date +%s)
stamp() { echo "== $1 ($(($(date +%s) - started)) s)"; }

train_s=${TRAIN_S:-390} check_s=${CHECK_S:-180}
# `timeout 0` would mean no limit: a zero limit (0, 0.0, ...) skips its part instead.
runs_for() { awk -v s="$1" 'BEGIN { exit !(s + 0 > 0) }'; }

stamp "training"
if runs_for "$train_s"; then
    RUNS=$runs timeout "$train_s" bash scripts/gpu_train.sh || echo "training ended with status $?"
    for run in lite_x4 lite_x2; do
        cp "$runs/$run/stvun_lite_x${run#lite_x}.safetensors" "$out/" 2>/dev/null || echo "no export from $run"
    done
    (cd "$runs" && tar -czf "$out/train.tar.gz" --ignore-failed-read ./*/log.jsonl ./*/config.json ./*/loss.png) || true
fi

stamp "check"
if runs_for "$check_s"; then
    work=$(mktemp -d)
    QUICK=1 timeout "$check_s" bash scripts/gpu_check.sh "$work" || echo "check ended with status $?"
    for f in env.txt tests.txt bench_gpu.md bench_gpu.json; do cp "$work/$f" "$out/" 2>/dev/null || true; done
fi
stamp "done"
exec >&- 2>&-
wait # for the tee behind session.log to write its last lines
