"""Cost volume of PWC-Net: mean over channels of f1(x) * f2(x + d) for |d| <= md.

Channel index is (dy + md) * (2 md + 1) + (dx + md), as in the NVlabs CUDA layer; f2 is zero
padded outside the image.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .warp import use_cupy


def correlation_torch(f1: torch.Tensor, f2: torch.Tensor, md: int) -> torch.Tensor:
    """Reference implementation with one product per displacement (memory O(C H W))."""
    _, c, h, w = f1.shape
    padded = F.pad(f2, (md, md, md, md))
    out = [
        (f1 * padded[:, :, dy : dy + h, dx : dx + w]).sum(dim=1) for dy in range(2 * md + 1) for dx in range(2 * md + 1)
    ]
    return torch.stack(out, dim=1) / c


def correlation(f1: torch.Tensor, f2: torch.Tensor, md: int = 4) -> torch.Tensor:
    """Dispatch to the CuPy kernel on CUDA when available, else the torch reference."""
    if f1.shape != f2.shape:
        raise ValueError(f"correlation inputs differ in shape: {tuple(f1.shape)} vs {tuple(f2.shape)}")
    if use_cupy(f1, f2):
        from .cuda_kernels import correlation_cupy

        return correlation_cupy(f1, f2, md)
    return correlation_torch(f1, f2, md)
