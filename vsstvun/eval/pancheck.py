"""``python -m vsstvun.eval.pancheck FILE...``: does a fusion head still lean on DIS on a pan?

A fusion head (``temporal="fuse"``) trained on small patches of large synthetic motion can learn to
distrust its DIS candidates, which fail near patch borders there; on a pure camera pan, where DIS
is at its best, such a head falls behind the sequential pipeline it is meant to beat. Pans are
what drawn sources are made of, so every head is checked on one before it ships (the shipped-weights
guard ``test_lite_real_fusion_head_lifts_a_fast_pan`` asserts bounds on these numbers), and
training runs are checked on it export by export.

The pan: scikit-image's astronaut photo, a 192x192 HR crop moving 16 HR px per frame, degraded the
paper's way; the frame 3.5 frames on (t = 0.5 between X3 and X4) against its ground truth, PSNR-Y
with a 4 px crop.
"""

from __future__ import annotations

from ..cli.extras import require_train_extra

require_train_extra("python -m vsstvun.eval.pancheck")

import argparse
from typing import NamedTuple

import torch
from skimage import data

from ..data.degrade import degrade
from ..model import STVUN
from .methods import Sequential
from .metrics import psnr_y

#: HR pixels the crop moves per frame (8 LR px at x2, 4 at x4).
STEP = 16


class PanMargins(NamedTuple):
    """The fused in-between frame's PSNR-Y minus the joint decoder pass's and the sequential
    pipeline's (dB): positive is better."""

    over_joint: float
    over_sequential: float


def pan_window() -> tuple[torch.Tensor, torch.Tensor]:
    """The pan's eight HR frames ``(8, 3, 192, 192)`` and the truth at 3.5 frames on."""
    image = torch.from_numpy(data.astronaut().copy()).permute(2, 0, 1).float() / 255

    def crop(x0: int) -> torch.Tensor:
        return image[:, 160:352, x0 : x0 + 192]

    return torch.stack([crop(64 + k * STEP) for k in range(8)]), crop(64 + 7 * STEP // 2)


def pan_margins(net: STVUN) -> PanMargins:
    """:class:`PanMargins` of ``net`` (weights with a fusion head) on :func:`pan_window`."""
    hr, truth = pan_window()
    lr = degrade(hr, net.scale)
    with torch.inference_mode():
        state, following = net.encode_window(lr[None, :7]), net.encode_window(lr[None, 1:8])
        fused = psnr_y(net.fuse_between(state, following, 0.5)[0], truth, 4)
        joint = psnr_y(net.synthesize(state, 0.5)[0], truth, 4)
        centres = [net.synthesize(s, 0.0)[0] for s in (state, following)]
    sequential = psnr_y(Sequential().frame(Sequential().pair(*centres), 0.5), truth, 4)
    return PanMargins(fused - joint, fused - sequential)


def main(argv: list[str] | None = None) -> None:
    from ..model.checkpoint import load_checkpoint

    parser = argparse.ArgumentParser(prog="python -m vsstvun.eval.pancheck", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", help="weights files with a fusion head (exports or shipped files)")
    args = parser.parse_args(argv)
    for path in args.files:
        margins = pan_margins(load_checkpoint(path).eval())
        joint, sequential = margins
        print(f"{path}: fused - joint {joint:+.2f} dB, fused - sequential {sequential:+.2f} dB")


if __name__ == "__main__":
    main()
