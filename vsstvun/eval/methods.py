"""Things that turn a 7-frame LR window into HR frames at times t in [0, 1): STVUN and baselines.

All share one small interface so the protocol treats them alike: ``prepare`` does the per-window
work once, ``frame`` gives the HR frame at t (t = 0: the centre X3 upscaled in space only). The
exception is :class:`Sequential`, which interpolates between the model's outputs of two windows.

Baselines upscale with bicubic interpolation *aligned to the degradation's sampling grid*: LR
pixel i was HR pixel s*i (decimation at offset 0, :mod:`vsstvun.data.degrade`), so HR pixel x
samples the LR image at x / s. A plain ``cv2.resize`` assumes pixel centres at (i + 0.5) s - 0.5
instead, a (s - 1) / 2 px shift that costs a bicubic baseline about 3-4 dB at x4 and would make
it a straw man.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np
import torch

from ..model import STVUN, PairFlows
from ..model.ops.dis import dis_both_ways
from ..model.ops.warp import flow_to_time


class Method(Protocol):
    name: str

    def prepare(self, window: torch.Tensor) -> Any:
        """Per-window state from LR frames X0..X6 ``(7, 3, h, w)`` in [0, 1]."""
        ...

    def frame(self, state: Any, t: float) -> torch.Tensor:
        """HR frame ``(3, s*h, s*w)`` in [0, 1] at time t between X3 (t = 0) and X4."""
        ...


def upscale_bicubic(lr: torch.Tensor, scale: int) -> np.ndarray:
    """Grid-aligned bicubic upscale of ``(3, h, w)`` to float32 HWC ``(s*h, s*w, 3)`` clipped to [0, 1]."""
    img = lr.detach().float().cpu().permute(1, 2, 0).numpy()
    h, w = img.shape[:2]
    to_src = np.array([[1 / scale, 0, 0], [0, 1 / scale, 0]])
    up = cv2.warpAffine(
        img,
        to_src,
        (w * scale, h * scale),
        flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.clip(up, 0.0, 1.0)


def _chw(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)


class BicubicBlend:
    """Bicubic in space, linear cross-fade of X3 and X4 in time."""

    name = "bicubic+blend"

    def __init__(self, scale: int) -> None:
        self.scale = scale

    def prepare(self, window: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        return upscale_bicubic(window[3], self.scale), upscale_bicubic(window[4], self.scale)

    def frame(self, state: tuple[np.ndarray, np.ndarray], t: float) -> torch.Tensor:
        up3, up4 = state
        return _chw(up3 if t == 0 else (1 - t) * up3 + t * up4)


def _remap(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Backward warp: ``out(p) = img(p + flow(p))``, bilinear, replicated borders."""
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass
class DisInterpolation:
    """Classical frame interpolation between two HR frames (HWC float32): OpenCV DIS flow both
    ways, taken to time t with the model's own quadratic formula
    (:func:`vsstvun.model.ops.warp.flow_to_time`), then backward warping and a (1 - t, t) blend --
    STVUN's temporal pipeline with classical parts. The bicubic+DIS and sequential baselines
    differ only in which HR frames they interpolate."""

    first: np.ndarray
    second: np.ndarray
    flow_fs: np.ndarray
    flow_sf: np.ndarray

    @classmethod
    def between(cls, first: np.ndarray, second: np.ndarray) -> DisInterpolation:
        return cls(first, second, *dis_both_ways(first, second))

    def at(self, t: float) -> np.ndarray:
        """The frame at t in [0, 1) (t = 0: ``first`` itself)."""
        if t == 0:
            return self.first
        f_t1, f_t2 = flow_to_time(torch.from_numpy(self.flow_fs), torch.from_numpy(self.flow_sf), t)
        w1, w2 = _remap(self.first, f_t1.numpy()), _remap(self.second, f_t2.numpy())
        return (1 - t) * w1 + t * w2


class BicubicFlow:
    """Bicubic in space; in time, :class:`DisInterpolation` between the upscaled X3 and X4."""

    name = "bicubic+DIS"

    def __init__(self, scale: int) -> None:
        self.scale = scale

    def prepare(self, window: torch.Tensor) -> DisInterpolation:
        return DisInterpolation.between(*(upscale_bicubic(window[i], self.scale) for i in (3, 4)))

    def frame(self, state: DisInterpolation, t: float) -> torch.Tensor:
        return _chw(state.at(t))


class Sequential:
    """The pipeline users could build without a joint network: STVUN's own space-only (t = 0) HR
    frames, then :class:`DisInterpolation` between consecutive ones. The joint in-between frames
    must beat it, or the temporal path earns nothing. It needs the model's centre frame of the
    *next* window, so the protocol feeds it pairs of those frames rather than LR windows."""

    name = "sequential"

    def pair(self, centre3: torch.Tensor, centre4: torch.Tensor) -> DisInterpolation:
        """State from two consecutive model centre frames ``(3, H, W)`` in [0, 1]."""
        hwc = (np.ascontiguousarray(c.detach().float().cpu().permute(1, 2, 0).numpy()) for c in (centre3, centre4))
        return DisInterpolation.between(*hwc)

    def frame(self, state: DisInterpolation, t: float) -> torch.Tensor:
        return _chw(state.at(t))


class ModelMethod:
    """An STVUN network: one ``encode_window`` per window, one ``synthesize`` per output time."""

    def __init__(self, model: STVUN, device: str | torch.device = "cpu", name: str | None = None) -> None:
        self.model, self.device = model.eval(), torch.device(device)
        self.dtype = model.input_dtype
        self.name = name or f"stvun-{model.config.preset}"

    def prepare(self, window: torch.Tensor) -> Any:
        return self.model.encode_window(window[None].to(self.device, self.dtype))

    def frame(self, state: Any, t: float) -> torch.Tensor:
        return self.model.synthesize(state, t)[0].float().cpu()

    def pair(self, state: Any, following: Any, temporal: str) -> PairFlows | None:
        """What every frame between this window and the next shares (:meth:`STVUN.pair_flows`)."""
        return self.model.pair_flows(state, following, temporal)

    def between(self, state: Any, following: Any, t: float, temporal: str, pair: PairFlows | None) -> torch.Tensor:
        """The frame at t made with this window and the next (:meth:`STVUN.between`: their
        centre frames warped, or those fused with the decoder pass); ``pair``: :meth:`pair`."""
        return self.model.between(state, following, t, temporal, pair=pair)[0].float().cpu()
