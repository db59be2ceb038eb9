"""Validation while training: PSNR-Y on a fixed set of windows the loop never trains on.

The per-batch training loss says little once batches mix clean, degraded and cartoon windows (a
hard batch after an easy one looks like a regression). A fixed set drawn from the same sources
but from its own random stream (:meth:`vsstvun.data.dataset.STVUNDataset.validation_split`)
measures the same thing at every step, so its curve shows whether the run still improves on its
own distribution (held-out clips are the evaluation's job). Each
PSNR comes with the bicubic baseline on the same windows (centre: grid-aligned bicubic of X3;
in-between: bicubic of the linear blend of X3 and X4), because the margin over it is what the
evaluation targets are written in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from ..eval.methods import upscale_bicubic
from ..eval.metrics import psnr_y
from ..model import STVUN
from .losses import batch_window, following_window

#: Pixels left out at each border, as in the evaluation protocol.
CROP = 4


@dataclass(frozen=True)
class ValidationSet:
    """Collated batches (as the loader yields them) and their bicubic baselines, computed once."""

    batches: list[dict[str, torch.Tensor]]
    bicubic_centre: float
    bicubic_between: float

    @classmethod
    def build(cls, batches: Iterable[dict[str, torch.Tensor]], scale: int) -> ValidationSet:
        batches = list(batches)
        if not batches:
            raise ValueError("a validation set needs at least one batch")
        centre, between = [], []
        for b in batches:
            x3, x4 = b["lr"][:, 3], b["lr"][:, 4]
            centre += [_psnr(_bicubic(x3, scale), b["hr_centre"])]
            for i in range(b["ts"].shape[1]):
                t = b["ts"][:, i].view(-1, 1, 1, 1)
                between += [_psnr(_bicubic((1 - t) * x3 + t * x4, scale), b["hr_t"][:, i])]
        return cls(batches, _mean(centre), _mean(between))


def _bicubic(lr: torch.Tensor, scale: int) -> torch.Tensor:
    return torch.stack([torch.from_numpy(upscale_bicubic(x, scale)).permute(2, 0, 1) for x in lr])


#: A flat window reproduced exactly has infinite PSNR; cap it so means stay finite.
MAX_PSNR = 100.0


def _psnr(out: torch.Tensor, hr: torch.Tensor) -> np.ndarray:
    return np.minimum(psnr_y(out.clamp(0, 1), hr, CROP), MAX_PSNR)


def _mean(parts: list[np.ndarray]) -> float:
    return float(np.concatenate([np.atleast_1d(p) for p in parts]).mean())


@torch.no_grad()
def validate(model: STVUN, val: ValidationSet) -> dict[str, float]:
    """Mean PSNR-Y (dB) of the centre and in-between frames, and their gains over bicubic.

    The in-between frames are the joint decoder pass's, or ``temporal="fuse"``'s for a network
    with a fusion head (that mode is what such a file is trained and shipped for).

    Runs in eval mode on the model's device and restores the training mode it found.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    centre, between = [], []
    try:
        for batch in val.batches:
            b = {k: v.to(device) for k, v in batch.items()}
            state = model.encode_window(batch_window(b["lr"]))
            centre += [_psnr(model.synthesize(state, 0.0), b["hr_centre"])]
            between_at = functools.partial(model.synthesize, state)
            if model.fusion is not None:  # the in-between frames such a file is for
                following = following_window(model, b["lr"])
                dis = model.pair_flows(state, following)
                between_at = functools.partial(model.fuse_between, state, following, dis=dis)
            for i in range(b["ts"].shape[1]):
                between += [_psnr(between_at(b["ts"][:, i].view(-1, 1, 1, 1)), b["hr_t"][:, i])]
    finally:
        model.train(was_training)
    c, m = _mean(centre), _mean(between)
    return {
        "val_centre": round(c, 3),
        "val_between": round(m, 3),
        "val_centre_gain": round(c - val.bicubic_centre, 3),
        "val_between_gain": round(m - val.bicubic_between, 3),
    }
