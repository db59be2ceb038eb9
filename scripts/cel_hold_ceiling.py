"""How far can motion carry the cel clip's in-between frames? Candidates from *perfect* centres.

The held-out cel clip's in-between rows stay near the sequential pipeline although its centre
frames beat bicubic by 2.4 dB. This scores in-between frames made from the ground-truth HR
neighbours themselves (so space costs nothing and only the temporal choice differs), with the
evaluation's protocol (every ``k``-th frame in, frames rounded to 8 bits, PSNR-Y, 4 px crop):

* ``blend``: the unwarped (1 - t, t) cross-fade, what a drawing held on twos or threes needs
  (between two inputs it jumps, it does not move; which side shows it is a coin toss at k = 2);
* ``dis``: DIS flow interpolation, as the sequential pipeline and bicubic+DIS make it;
* ``mean``: the two averaged, a fixed hedge between the two beliefs;
* ``guided``: that hedge only where the DIS flow departs from the camera's motion (its global
  affine fit, RANSAC) by more than 1 px, softened; DIS elsewhere: what a head told where the
  drawings move on their own could reach without knowing the hold's phase;
* ``best``: per pixel the one of the three nearest the truth (an unreachable reference: it
  needs the truth to choose).

If ``dis`` on perfect neighbours is hardly above what the model's fused frames score, the cel
rows are limited by motion, not by the picture: the lever is a held-drawing candidate
(``ModelConfig.fusion_still``), not a sharper one.

Usage: python scripts/cel_hold_ceiling.py [FOLDER]   (default: ~/.cache/vsstvun/celclip)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from vsstvun.data.video import read_frames_dir
from vsstvun.eval.methods import DisInterpolation
from vsstvun.eval.metrics import psnr_y


def _score(frame: np.ndarray, truth: np.ndarray) -> float:
    chw = (np.round(np.clip(x, 0, 1) * 255).transpose(2, 0, 1) / 255 for x in (frame, truth))
    return float(psnr_y(*chw, crop=4))


def own_motion(flow: np.ndarray, px: float = 1.0) -> np.ndarray:
    """Where ``flow`` (HWC, pixels) departs from its global affine fit by more than ``px``: a
    soft ``(H, W, 1)`` map in [0, 1], dilated by 4 px and blurred so that a drawing's outline is
    inside it, not on its edge."""
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    grid = np.stack([xs, ys], -1)
    src = grid[::8, ::8].reshape(-1, 2)
    fit, _ = cv2.estimateAffine2D(src, src + flow[::8, ::8].reshape(-1, 2), ransacReprojThreshold=1.0)
    camera = grid @ fit[:, :2].T + fit[:, 2] - grid
    moving = (np.linalg.norm(flow - camera, axis=-1) > px).astype(np.uint8)
    soft = cv2.GaussianBlur(cv2.dilate(moving, np.ones((9, 9), np.uint8)).astype(np.float32), (0, 0), 3)
    return soft[..., None]


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.home() / ".cache/vsstvun/celclip"
    try:
        hr = read_frames_dir(folder).astype(np.float32) / 255
    except ValueError as e:
        raise SystemExit(f"{e} (python -m vsstvun.data.celclip --out {folder})") from None
    print("| k | blend | dis | mean | guided | best |\n|---|---|---|---|---|---|")
    for k in (2, 4):
        scores: dict[str, list[float]] = {}
        for a in range(0, len(hr) - k, k):
            dis = DisInterpolation.between(hr[a], hr[a + k])
            moving = np.maximum(own_motion(dis.flow_fs), own_motion(dis.flow_sf))
            for j in range(1, k):
                t, truth = j / k, hr[a + j]
                c = {"blend": (1 - t) * hr[a] + t * hr[a + k], "dis": dis.at(t)}
                c["mean"] = (c["blend"] + c["dis"]) / 2
                c["guided"] = c["dis"] + moving * (c["mean"] - c["dis"])
                stack = np.stack(list(c.values()))
                best = ((stack - truth) ** 2).sum(-1).argmin(0)
                c["best"] = np.take_along_axis(stack, best[None, ..., None], 0)[0]
                for name, frame in c.items():
                    scores.setdefault(name, []).append(_score(frame, truth))
        print(f"| {k} | " + " | ".join(f"{np.mean(v):.2f}" for v in scores.values()) + " |")


if __name__ == "__main__":
    main()
