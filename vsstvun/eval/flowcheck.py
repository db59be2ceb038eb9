"""``python -m vsstvun.eval.flowcheck``: how far the network's flow X3 <-> X4 is from the motion.

The temporal ablation (:mod:`vsstvun.eval.ablation`) shows the in-between frames lose most to the
sequential pipeline where motion is large and that OpenCV DIS flow in place of the network's
closes most of that gap; :func:`centre_feature_effect` shows the in-between decoder pass takes
little from the centre pass, so those frames stand or fall with the flow and the warp. This
measures the flow directly, per clip and degradation, on the evaluation's input pairs (every
``--time-factor``-th frame, as :func:`vsstvun.eval.protocol.evaluate` takes them; pairs across a
cut are skipped):

* reference: DIS on the *clean HR* frames, area-averaged to the LR grid (the training's teacher
  flow, :func:`vsstvun.train.teacher.dis_flow_lr`);
* ``stvun``: the network's flow net on the (degraded) LR frames, as the filter runs it;
* ``DIS on input``: DIS on the bicubic upscale of the same LR frames (the ``bicubic+DIS``
  baseline's flow), what a classical estimator gets from the same input. It shares the
  reference's method, so it is favoured where the two agree by construction.

Scores are end-point errors in LR pixels, over all pixels and over the moving ones (reference
motion above :data:`MOVING_PX` LR pixels), both directions.
"""

from __future__ import annotations

from ..cli.extras import require_train_extra

require_train_extra("python -m vsstvun.eval.flowcheck")

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from ..data.codec import Degradation
from ..data.degrade import crop_to_scale
from ..data.shots import CUT_THRESHOLD, cut_flags
from ..data.video import read_video
from ..model import STVUN, WindowState
from ..model.stvun import to_model_range
from ..train.teacher import dis_flow_lr
from ..weights import PACKAGED
from .__main__ import folder_name, parse_degradations
from .methods import upscale_bicubic
from .protocol import _to_float_frames, degrade_inputs
from .report import write_folder_summary

#: Reference motion above this many LR pixels counts as moving.
MOVING_PX = 1.0


def endpoint_errors(flow: torch.Tensor, reference: torch.Tensor, moving_px: float = MOVING_PX) -> dict[str, float]:
    """EPE of ``flow`` against ``reference`` (both ``(B, 2, H, W)``): mean, 95th percentile, mean
    over the pixels whose reference motion exceeds ``moving_px`` (NaN when none do) and their share."""
    epe = (flow - reference).norm(dim=1).flatten()
    moving = reference.norm(dim=1).flatten() > moving_px
    return {
        "epe": epe.mean().item(),
        "epe_p95": epe.quantile(0.95).item(),
        "epe_moving": epe[moving].mean().item() if moving.any() else float("nan"),
        "moving_share": moving.float().mean().item(),
    }


def _dis_on_input(lr3: torch.Tensor, lr4: torch.Tensor, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``bicubic+DIS`` baseline's flows, on the LR grid as the reference: the teacher's DIS
    and pooling, run on the bicubic upscales instead of the clean HR frames."""
    up3, up4 = (torch.from_numpy(upscale_bicubic(x, scale)).permute(2, 0, 1)[None] for x in (lr3, lr4))
    return dis_flow_lr(up3, up4, scale)


def centre_feature_effect(model: STVUN, state: WindowState, t: float = 0.5) -> float:
    """Mean absolute change of the frame at ``t`` (on [0, 1]) when the centre pass's decoded
    features are replaced by zeros in the in-between pass: how much of the 7-frame fusion an
    in-between frame actually uses."""
    zeros = [torch.zeros_like(f) for f in state.centre_decoded]
    frame = model.synthesize(state, t)
    return (model.synthesize(state, t, centre_features=zeros) - frame).abs().mean().item()


def check_clip(
    model: STVUN, hr_frames: np.ndarray, scale: int, time_factor: int, degradation: Degradation
) -> dict[str, dict[str, float]]:
    """Mean scores over the clip's input pairs for ``stvun`` and ``DIS on input`` (see the module
    docstring), plus ``centre_effect``: :func:`centre_feature_effect` averaged over the windows."""
    hr = crop_to_scale(_to_float_frames(hr_frames), scale)
    inputs = list(range(0, len(hr), time_factor))
    lr = degrade_inputs(hr[inputs], scale, degradation)
    flags = cut_flags(np.rint(hr.permute(0, 2, 3, 1).numpy() * 255).astype(np.uint8), CUT_THRESHOLD)
    rows: dict[str, list[dict[str, float]]] = {"stvun": [], "DIS on input": []}
    effects = []
    for k in range(len(inputs) - 1):
        if flags[inputs[k] : inputs[k] + time_factor].any():
            continue
        reference = torch.cat(dis_flow_lr(hr[inputs[k]][None], hr[inputs[k + 1]][None], scale))
        with torch.no_grad():
            ours = torch.cat(model.flow(to_model_range(lr[k][None]), to_model_range(lr[k + 1][None])))
            if 3 <= k <= len(inputs) - 4:  # a full window around the pair
                effects.append(centre_feature_effect(model, model.encode_window(lr[None, k - 3 : k + 4])))
        rows["stvun"].append(endpoint_errors(ours, reference))
        rows["DIS on input"].append(endpoint_errors(torch.cat(_dis_on_input(lr[k], lr[k + 1], scale)), reference))
    if not rows["stvun"]:
        raise ValueError("no input pair without a cut: give the clip more frames")
    summary = {name: {key: float(np.nanmean([r[key] for r in rs])) for key in rs[0]} for name, rs in rows.items()}
    summary["stvun"]["centre_effect"] = float(np.mean(effects)) if effects else float("nan")
    summary["stvun"]["pairs"] = summary["DIS on input"]["pairs"] = float(len(rows["stvun"]))
    return summary


def summary_table(results: list[dict]) -> str:
    """One markdown row per clip and degradation."""
    lines = [
        "| clip | LR | pairs | moving px | stvun EPE (moving) | DIS on input EPE (moving) | centre-feature effect |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ours, dis = r["flows"]["stvun"], r["flows"]["DIS on input"]
        lines.append(
            f"| {r['clip']} | {r['degradation']} | {ours['pairs']:.0f} | {100 * ours['moving_share']:.0f} % "
            f"| {ours['epe']:.2f} ({ours['epe_moving']:.2f}) | {dis['epe']:.2f} ({dis['epe_moving']:.2f}) "
            f"| {ours['centre_effect']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m vsstvun.eval.flowcheck", description=__doc__)
    p.add_argument("--video", required=True, type=Path, help="video file or folder of frames (the HR ground truth)")
    p.add_argument("--name", required=True, help="clip name in the table and file names")
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--frames", type=int, default=None)
    p.add_argument("--model", default="lite", help=f"packaged weights ({', '.join(PACKAGED)})")
    p.add_argument("--model-path", type=Path, default=None, help="weights file instead of the packaged ones")
    p.add_argument("--scale", type=int, default=4, choices=(2, 4))
    p.add_argument(
        "--flow-refine", type=int, default=None, metavar="BOX", help="flow clean-up window instead of the weights' own"
    )
    p.add_argument("--time-factor", type=int, default=2, help="input pairs every this many frames, as the evaluation")
    p.add_argument("--degrade", action="append", default=None, help="clean, x264:CRF, ... (comma list)")
    p.add_argument("--out", type=Path, required=True)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from ..weights import load_model

    args = parse_args(argv)
    model = load_model(args.model, args.scale, args.model_path, "cpu", "fp32", args.flow_refine)
    frames = read_video(args.video, start=args.start, max_frames=args.frames)
    args.out.mkdir(parents=True, exist_ok=True)
    for degradation in parse_degradations(args.degrade):
        flows = check_clip(model, frames, args.scale, args.time_factor, degradation)
        record = {
            "clip": args.name,
            "degradation": str(degradation),
            "model": str(args.model_path or args.model),
            "flow_refine": model.config.flow_refine,
        }
        path = args.out / f"{args.name}_{folder_name(degradation)}.json"
        path.write_text(json.dumps(record | {"flows": flows}, indent=1))
    print(write_folder_summary(args.out, summary_table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
