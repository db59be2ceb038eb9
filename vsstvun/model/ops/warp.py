"""Backward warping and the paper's flow-to-time formulas, with a run-time backend choice.

Warping is bilinear with border padding in the align_corners=True convention: pixel centres
sit at integer coordinates, so a flow of exactly +1 px samples the right-hand neighbour.
The CuPy kernel is used for CUDA tensors when CuPy is importable (``auto``); everything else
takes the ``grid_sample`` path silently.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

BACKENDS = ("auto", "torch", "cupy")
_backend = "auto"


def set_backend(name: str) -> None:
    """Choose the warp/correlation backend: ``auto`` (CuPy on CUDA when available), ``torch`` or ``cupy``."""
    global _backend
    if name not in BACKENDS:
        raise ValueError(f"unknown warp backend {name!r}; choose one of {BACKENDS}")
    if name == "cupy" and not cupy_available():
        raise RuntimeError("warp backend 'cupy' needs CUDA and CuPy (pip install 'vsstvun[cuda]')")
    _backend = name


def get_backend() -> str:
    return _backend


@functools.cache
def cupy_available() -> bool:
    """True when CuPy imports and sees a CUDA device (checked once; quiet otherwise)."""
    if not torch.cuda.is_available():
        return False
    try:
        import cupy  # noqa: F401
    except Exception:
        return False
    return True


def use_cupy(*tensors: torch.Tensor) -> bool:
    """Whether the CuPy kernels serve these tensors under the current backend setting.

    The kernels have no backward pass, so anything that needs a gradient stays on torch.
    """
    if _backend == "torch" or not tensors[0].is_cuda or not cupy_available():
        return False
    return not (torch.is_grad_enabled() and any(t.requires_grad for t in tensors))


def _base_grid(h: int, w: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    ys = torch.arange(h, device=device, dtype=dtype)
    xs = torch.arange(w, device=device, dtype=dtype)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=0)  # (2, H, W): x, y


def warp_torch(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``out(p) = x(p + flow(p))`` with grid_sample (bilinear, border, align_corners=True).

    Sampling positions are always computed in fp32: fp16 cannot address pixels exactly
    beyond 2048, so half inputs are warped in fp32 and cast back.
    """
    _, _, h, w = x.shape
    flow = flow.float()
    coords = _base_grid(h, w, flow.device, flow.dtype).unsqueeze(0) + flow
    gx = coords[:, 0] * (2.0 / max(w - 1, 1)) - 1.0
    gy = coords[:, 1] * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack((gx, gy), dim=-1)
    out = F.grid_sample(x.float(), grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out.to(x.dtype)


def backward_warp(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample ``x`` (B, C, H, W) at ``p + flow(p)``; flow is (B, 2, H, W) in pixels (x, y)."""
    if flow.shape[0] != x.shape[0] or flow.shape[1] != 2 or flow.shape[2:] != x.shape[2:]:
        raise ValueError(f"flow shape {tuple(flow.shape)} does not fit input {tuple(x.shape)}")
    if use_cupy(x, flow):
        from .cuda_kernels import warp_cupy

        return warp_cupy(x, flow)
    return warp_torch(x, flow)


def flow_to_time(f34: torch.Tensor, f43: torch.Tensor, t: float | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Paper Eq. 4: flows from time t to frames 3 and 4 under quadratic motion.

    f_t3 = -(1-t) t f34 + t^2 f43 and f_t4 = (1-t)^2 f34 - t (1-t) f43; t may be a scalar or
    a per-sample tensor broadcastable to the flows.
    """
    s = 1 - t
    return -s * t * f34 + t * t * f43, s * s * f34 - t * s * f43


def warp_to_time(
    x3: torch.Tensor,
    x4: torch.Tensor,
    f34: torch.Tensor,
    f43: torch.Tensor,
    t: float | torch.Tensor,
    blend: str,
) -> torch.Tensor:
    """Paper Eq. 5/6: X3 and X4 (or their features) backward-warped to time t and blended.

    ``blend="equal"`` is the paper's (and the authors' network's) average, 1/2 each whatever t;
    ``"linear"`` weighs by distance in time, (1 - t) * X3(p + f_t3) + t * X4(p + f_t4).
    """
    return blend_sides(*warp_sides(x3, x4, f34, f43, t), t, blend)


def blend_sides(at3: torch.Tensor, at4: torch.Tensor, t: float | torch.Tensor, blend: str) -> torch.Tensor:
    """X3 and X4 already warped to t (:func:`warp_sides`), blended as :func:`warp_to_time` says."""
    if blend == "equal":
        w3, w4 = 0.5, 0.5
    elif blend == "linear":
        w3, w4 = 1 - t, t
    else:
        raise ValueError(f"unknown time blend {blend!r}; choose 'equal' or 'linear'")
    return w3 * at3 + w4 * at4


def warp_sides(
    x3: torch.Tensor, x4: torch.Tensor, f34: torch.Tensor, f43: torch.Tensor, t: float | torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """X3 and X4 each backward-warped to time t (Eq. 4's flows), before :func:`warp_to_time`
    blends them: kept apart, they show where one side is occluded or its flow is wrong."""
    f_t3, f_t4 = flow_to_time(f34, f43, t)
    return backward_warp(x3, f_t3), backward_warp(x4, f_t4)


def dis_inconsistency(
    f34: torch.Tensor, f43: torch.Tensor, t: float | torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per side, how far the two flows fail to undo each other (``|f34(x) + f43(x + f34(x))|``
    on X3's grid, and the same from X4), each taken to t with its side's flow as
    :func:`warp_sides` takes the frames: ``(B, 1, H, W)`` in pixels, near 0 where the flow
    checks out both ways, large at occlusions and mismatches."""
    err3 = (f34 + backward_warp(f43, f34)).norm(dim=1, keepdim=True)
    err4 = (f43 + backward_warp(f34, f43)).norm(dim=1, keepdim=True)
    return warp_sides(err3, err4, f34, f43, t)
