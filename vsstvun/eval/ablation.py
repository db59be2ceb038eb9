"""``python -m vsstvun.eval.ablation``: which inference-time lever moves STVUN's in-between frames.

Issue #15 asks the joint in-between frames to beat the sequential pipeline (the network's own
centre frames, then DIS interpolation at HR). Before training for it, this measures what each
candidate lever is worth with the shipped weights, one change at a time, scored by
:func:`vsstvun.eval.protocol.evaluate` beside the baselines on the same LR frames:

* ``dis-lr``: OpenCV DIS flow in place of PWC-Net, computed on the grid-aligned bicubic
  upscale of X3 and X4 and resized to the LR grid. Is the small flow net the weak part?
* ``dis-hr``: the same, with DIS run on the network's own HR centre frames of X3 and X4.
* ``occlusion``: Eq. 5/6's blend weighted by occlusion, (1 - t, t) times exp(-|forward-backward
  flow residual|) of the other side's sample, so a point that vanishes in one frame is taken from
  the other.
* ``ensemble``: the mean of the joint frame and the sequential pipeline's frame.
* ``seq-net``: the sequential pipeline with the network's own LR flows (upsampled) instead of
  DIS: no OpenCV and no decoder pass per in-between frame.

Variants that need X4's centre frame compute it from the window X1..X6 with X6 repeated (the
protocol hands a method one window); the ``ensemble`` and ``seq-net`` rows therefore differ from
the protocol's ``sequential`` row, which uses the true next window, by that approximation only.
"""

from __future__ import annotations

from ..cli.extras import require_train_extra

require_train_extra("python -m vsstvun.eval.ablation")

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..data.video import read_video
from ..model import STVUN, WindowState
from ..model.ops.warp import backward_warp, flow_to_time, warp_to_time
from ..weights import PACKAGED
from .__main__ import folder_name, parse_degradations
from .methods import BicubicFlow, Method, ModelMethod, Sequential
from .protocol import BASELINES, evaluate
from .report import write_folder_summary

VARIANTS = ("dis-lr", "dis-hr", "occlusion", "ensemble", "seq-net")


def _to_lr_flow(flow: np.ndarray, height: int, width: int) -> torch.Tensor:
    """An ``(H', W', 2)`` flow in its own pixels -> ``(1, 2, height, width)`` in LR pixels."""
    ratio = flow.shape[1] / width
    small = cv2.resize(flow, (width, height), interpolation=cv2.INTER_AREA) / ratio
    return torch.from_numpy(np.ascontiguousarray(small)).permute(2, 0, 1)[None].float()


def occlusion_warp_to_time(
    x3: torch.Tensor, x4: torch.Tensor, f34: torch.Tensor, f43: torch.Tensor, t: float | torch.Tensor, blend: str
) -> torch.Tensor:
    """Eq. 5/6 with occlusion weights (the ``occlusion`` variant; ``blend`` is ignored): (1 - t, t)
    times exp(-forward-backward residual) of the other side's sample, normalised."""
    f_t3, f_t4 = flow_to_time(f34, f43, t)
    lost3 = (f34 + backward_warp(f43, f34)).norm(dim=1, keepdim=True)  # X3 points gone in X4
    lost4 = (f43 + backward_warp(f34, f43)).norm(dim=1, keepdim=True)
    w3 = (1 - t) * torch.exp(-backward_warp(lost4, f_t4))
    w4 = t * torch.exp(-backward_warp(lost3, f_t3))
    return (w3 * backward_warp(x3, f_t3) + w4 * backward_warp(x4, f_t4)) / (w3 + w4)


class _Centres:
    """X3's window state and the HR centre frames ``(1, 3, H, W)`` of X3 and (approximately) X4,
    computed once per window for all the variants that need them (two window encodes each)."""

    def __init__(self, model: STVUN, device: torch.device, dtype: torch.dtype) -> None:
        self.model, self.device, self.dtype = model, device, dtype
        self._last: tuple[torch.Tensor, tuple[WindowState, torch.Tensor, torch.Tensor]] | None = None

    def __call__(self, window: torch.Tensor) -> tuple[WindowState, torch.Tensor, torch.Tensor]:
        if self._last is None or not torch.equal(self._last[0], window):
            state = self.model.encode_window(window[None].to(self.device, self.dtype))
            following = torch.cat((window[1:], window[-1:]))[None].to(self.device, self.dtype)
            c4 = self.model.synthesize(self.model.encode_window(following), 0.0)
            self._last = window, (state, self.model.synthesize(state, 0.0), c4)
        return self._last[1]


class _Variant(ModelMethod):
    """The shipped network with one inference-time change (see the module docstring)."""

    def __init__(self, model: STVUN, variant: str, centres: _Centres, device: str | torch.device = "cpu") -> None:
        super().__init__(model, device, name=f"stvun {variant}")
        self.variant = variant
        self._centres = centres

    def prepare(self, window: torch.Tensor) -> Any:
        if self.variant in ("dis-lr", "dis-hr"):
            if self.variant == "dis-lr":  # the bicubic+DIS baseline's flows
                dis = BicubicFlow(self.model.scale).prepare(window)
            else:  # the sequential baseline's flows
                _, c3, c4 = self._centres(window)
                dis = Sequential().pair(c3[0], c4[0])
            h, w = window.shape[-2:]
            flows = tuple(_to_lr_flow(f, h, w).to(self.device) for f in (dis.flow_fs, dis.flow_sf))
            return self.model.encode_window(window[None].to(self.device, self.dtype), flows=flows)
        if self.variant == "ensemble":
            state, c3, c4 = self._centres(window)
            return state, Sequential().pair(c3[0], c4[0])
        if self.variant == "seq-net":
            state, c3, c4 = self._centres(window)
            s, (h, w) = self.model.scale, window.shape[-2:]
            up = [F.interpolate(f[..., :h, :w], scale_factor=s, mode="bilinear") * s for f in (state.f34, state.f43)]
            return c3, c4, up
        return super().prepare(window)

    def frame(self, state: Any, t: float) -> torch.Tensor:
        if self.variant == "ensemble":
            joint, sequential = state
            out = super().frame(joint, t)
            return out if t == 0 else (out + Sequential().frame(sequential, t)) / 2
        if self.variant == "seq-net":
            c3, c4, (f34, f43) = state
            return (c3 if t == 0 else warp_to_time(c3, c4, f34, f43, t, "linear"))[0].clamp(0, 1).float().cpu()
        if self.variant == "occlusion":
            return self.model.synthesize(state, t, warp=occlusion_warp_to_time)[0].float().cpu()
        return super().frame(state, t)


def variants(model: STVUN, names: list[str], device: str | torch.device = "cpu") -> list[Method]:
    unknown = set(names) - set(VARIANTS)
    if unknown:
        raise ValueError(f"unknown variants {sorted(unknown)}; choose from {VARIANTS}")
    centres = _Centres(model, torch.device(device), model.input_dtype)
    return [_Variant(model, name, centres, device) for name in names]


def summary_table(results: list[dict]) -> str:
    """Markdown: in-between PSNR-Y of every method per clip and degradation, and its margin over
    the best baseline (bicubic+blend, bicubic+DIS, sequential)."""
    methods = [m for m in results[0]["methods"] if m not in BASELINES]
    head = "| clip | LR | best baseline | " + " | ".join(methods) + " |"
    lines = [head, "|" + "---|" * (3 + len(methods))]
    for r in results:
        psnr = {name: m["intermediate"]["psnr_y"] for name, m in r["methods"].items()}
        best = max(BASELINES, key=lambda b: psnr[b])
        cells = [f"{psnr[m]:.2f} ({psnr[m] - psnr[best]:+.2f})" for m in methods]
        cfg = r["config"]
        lines.append(f"| {cfg['clip']} | {cfg['degradation']} | {best} {psnr[best]:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m vsstvun.eval.ablation", description=__doc__.split("\n\n")[0])
    p.add_argument("--video", required=True, type=Path, help="video file or folder of frames (HR ground truth)")
    p.add_argument("--name", required=True, help="clip name in the table")
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--frames", type=int, default=None)
    p.add_argument("--model", default="lite", help=f"packaged weights ({', '.join(PACKAGED)})")
    p.add_argument("--scale", type=int, default=4, choices=(2, 4))
    p.add_argument("--time-factor", type=int, default=2)
    p.add_argument("--crop", type=int, default=4)
    p.add_argument("--degrade", action="append", help="as in python -m vsstvun.eval (comma list)")
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"comma list of {VARIANTS}")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", required=True, type=Path, help="folder of per-run JSON and the summary.md of all")
    args = p.parse_args(argv)
    args.degrade = parse_degradations(args.degrade)
    return args


def main(argv: list[str] | None = None) -> int:
    from ..weights import load_model

    args = parse_args(argv)
    model = load_model(args.model, args.scale, None, args.device, "fp32")
    methods = variants(model, args.variants.split(","), args.device)
    frames = read_video(args.video, start=args.start, max_frames=args.frames)
    args.out.mkdir(parents=True, exist_ok=True)
    for degradation in args.degrade:
        result = evaluate(
            model, frames, args.scale, args.time_factor, args.crop, args.device, progress=True,
            extra_methods=methods, degradation=degradation,
        )  # fmt: skip
        result["config"] |= {"clip": args.name, "model": args.model}
        (args.out / f"{args.name}_{folder_name(degradation)}.json").write_text(json.dumps(result, indent=1))
    print(write_folder_summary(args.out, summary_table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
