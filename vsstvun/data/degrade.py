"""The paper's LR degradation: Gaussian blur, then keep every ``scale``-th pixel.

STVUN (like most video SR work) trains and evaluates on "BD" degradation: a Gaussian blur with
sigma = 1.6 and a 13x13 kernel for x4, followed by plain decimation starting at pixel 0. For x2
the same recipe is scaled: sigma = 0.4 * scale = 0.8 and radius round(4 * sigma) = 3, i.e. a 7x7
kernel (the x4 numbers follow from the same rule: radius round(6.4) = 6 -> 13x13).

Borders are reflect-padded so that the blur needs no content outside the frame. HR images are
first cropped (bottom/right) to multiples of the scale so that LR and HR grids line up exactly:
LR pixel (i, j) is the blurred HR pixel (s*i, s*j).
Everything is a pure torch function on ``(..., C, H, W)`` float tensors in [0, 1].
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F


def kernel_params(scale: int) -> tuple[int, float]:
    """Kernel size and sigma of the blur for an integer ``scale`` (13, 1.6 for x4; 7, 0.8 for x2)."""
    if scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    sigma = 0.4 * scale
    return 2 * round(4 * sigma) + 1, sigma


@functools.cache
def gaussian_kernel1d(scale: int, sigma: float | None = None) -> torch.Tensor:
    """Normalised 1-D Gaussian taps (float64); the 2-D kernel is its outer product.

    ``sigma`` overrides the paper's value (training draws it around the paper's, since real
    sources are not all blurred alike); the tap count stays the scale's, so margins and LR grids
    do not move with it.
    """
    size, paper_sigma = kernel_params(scale)
    sigma = paper_sigma if sigma is None else sigma
    if sigma <= 0:
        raise ValueError(f"blur sigma must be positive, got {sigma}")
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    k = torch.exp(-(x**2) / (2 * sigma**2))
    return k / k.sum()


def gaussian_kernel2d(scale: int) -> torch.Tensor:
    """The ``size x size`` blur kernel (sums to 1), for inspection and tests."""
    k = gaussian_kernel1d(scale)
    return torch.outer(k, k)


def crop_to_scale(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Crop the last two dims to multiples of ``scale`` (dropping bottom rows / right columns)."""
    h, w = x.shape[-2:]
    return x[..., : h - h % scale, : w - w % scale]


def degrade(hr: torch.Tensor, scale: int, sigma: float | None = None) -> torch.Tensor:
    """LR version of ``hr`` ``(..., C, H, W)``: crop to the scale, blur, keep pixels ``(s*i, s*j)``.

    The separable blur is evaluated only where decimation keeps a pixel (a strided convolution
    over the reflect-padded image): the same result as blurring everything and slicing
    ``[::s, ::s]`` at 1/s of the work (and far faster than a dense single-channel conv on CPU).
    Output is ``(..., C, H // s, W // s)`` in the input dtype, in [0, 1] like the input because
    the kernel is positive and normalised. ``sigma`` replaces the paper's blur (see
    :func:`gaussian_kernel1d`).
    """
    if not hr.is_floating_point():
        raise TypeError(f"degrade expects a float tensor in [0, 1], got {hr.dtype}")
    x = crop_to_scale(hr, scale)
    lead, (h, w) = x.shape[:-2], x.shape[-2:]
    k = gaussian_kernel1d(scale, sigma).to(device=x.device, dtype=x.dtype)
    pad = k.numel() // 2
    if min(h, w) <= pad:
        raise ValueError(f"image {h}x{w} is too small for the {k.numel()}-tap blur's reflect padding")
    y = x.reshape(-1, 1, h, w)
    y = F.conv2d(F.pad(y, (pad, pad, 0, 0), mode="reflect"), k.view(1, 1, 1, -1), stride=(1, scale))
    y = F.conv2d(F.pad(y, (0, 0, pad, pad), mode="reflect"), k.view(1, 1, -1, 1), stride=(scale, 1))
    return y.reshape(*lead, h // scale, w // scale)


def margin(scale: int) -> int:
    """HR pixels of context to crop around a patch so its LR interior is free of padding effects.

    The blur reaches ``size // 2`` px; rounding up to a multiple of ``scale`` keeps the LR grid
    aligned with the inner patch after cutting the margin off.
    """
    size, _ = kernel_params(scale)
    return scale * math.ceil((size // 2) / scale)
