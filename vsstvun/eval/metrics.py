"""PSNR and SSIM as reported in super-resolution papers, on RGB or on BT.601 luma (Y).

Inputs are images in [0, 1], channels first: ``(..., C, H, W)`` numpy arrays or torch tensors.
Everything is computed in float64 with numpy (and OpenCV's separable filter for SSIM's window,
about 20x faster than a float64 torch convolution on a CPU). Results are float64 numpy values
with the leading dims (a scalar for one image). Conventions:

* Y is ITU-R BT.601 studio-swing luma as MATLAB's ``rgb2ycbcr`` computes it:
  ``Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255`` for R, G, B in [0, 1], so Y spans
  [16/255, 235/255] and both metrics use a peak of 1 (255 in 8-bit terms), as SR papers do.
* PSNR = 10 log10(1 / MSE) per image; identical images give ``inf``.
* SSIM follows Wang et al. (2004): an 11x11 Gaussian window with sigma 1.5, K1 = 0.01,
  K2 = 0.03, L = 1, evaluated only where the window fits ("valid", like MATLAB's ``ssim_index``
  and skimage's ``structural_similarity(gaussian_weights=True, use_sample_covariance=False)``),
  averaged over pixels and then over channels.
* ``crop`` drops that many pixels on every side first (the usual "shave" of SR evaluations).
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import torch

Image = np.ndarray | torch.Tensor

_Y_WEIGHTS = np.array([65.481, 128.553, 24.966])
SSIM_WINDOW, SSIM_SIGMA, SSIM_K1, SSIM_K2 = 11, 1.5, 0.01, 0.03


def _as_float64(x: Image) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, np.float64)


def rgb_to_y(rgb: Image) -> np.ndarray:
    """BT.601 luma ``(..., 1, H, W)`` in [16/255, 235/255] of RGB ``(..., 3, H, W)`` in [0, 1]."""
    x = _as_float64(rgb)
    if x.ndim < 3 or x.shape[-3] != 3:
        raise ValueError(f"expected 3 channels first, got shape {x.shape}")
    return (16 + np.einsum("...chw,c->...hw", x, _Y_WEIGHTS)[..., None, :, :]) / 255


def _pair(a: Image, b: Image, crop: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = _as_float64(a), _as_float64(b)
    if x.shape != y.shape:
        raise ValueError(f"image shapes differ: {x.shape} vs {y.shape}")
    if crop:
        x, y = x[..., crop:-crop, crop:-crop], y[..., crop:-crop, crop:-crop]
    if x.shape[-1] < 1 or x.shape[-2] < 1:
        raise ValueError(f"crop {crop} leaves nothing of {tuple(a.shape)}")
    return x, y


def psnr(a: Image, b: Image, crop: int = 0) -> np.ndarray:
    """Peak signal-to-noise ratio in dB (peak 1) over the last three dims."""
    x, y = _pair(a, b, crop)
    mse = ((x - y) ** 2).mean(axis=(-3, -2, -1))
    with np.errstate(divide="ignore"):
        return 10 * np.log10(1 / mse)


@functools.cache
def _gaussian_window() -> np.ndarray:
    r = np.arange(SSIM_WINDOW) - (SSIM_WINDOW - 1) / 2
    g = np.exp(-(r**2) / (2 * SSIM_SIGMA**2))
    return g / g.sum()


def _filter(x: np.ndarray) -> np.ndarray:
    """Gaussian-weighted local mean of a 2-D plane, "valid" region only."""
    g, r = _gaussian_window(), SSIM_WINDOW // 2
    return cv2.sepFilter2D(x, cv2.CV_64F, g, g, borderType=cv2.BORDER_REFLECT)[r:-r, r:-r]


def _ssim_plane(x: np.ndarray, y: np.ndarray) -> float:
    mx, my = _filter(x), _filter(y)
    vx, vy, cxy = _filter(x * x) - mx * mx, _filter(y * y) - my * my, _filter(x * y) - mx * my
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    smap = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(smap.mean())


def ssim(a: Image, b: Image, crop: int = 0) -> np.ndarray:
    """Mean structural similarity (Wang et al.) over the last three dims."""
    x, y = _pair(a, b, crop)
    lead, (c, h, w) = x.shape[:-3], x.shape[-3:]
    if min(h, w) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW}, got {h}x{w}")
    planes = zip(x.reshape(-1, h, w), y.reshape(-1, h, w), strict=True)
    per_plane = np.array([_ssim_plane(np.ascontiguousarray(p), np.ascontiguousarray(q)) for p, q in planes])
    return per_plane.reshape(*lead, c).mean(axis=-1)


def psnr_y(a: Image, b: Image, crop: int = 0) -> np.ndarray:
    """PSNR of the BT.601 luma of two RGB images."""
    return psnr(rgb_to_y(a), rgb_to_y(b), crop)


def ssim_y(a: Image, b: Image, crop: int = 0) -> np.ndarray:
    """SSIM of the BT.601 luma of two RGB images."""
    return ssim(rgb_to_y(a), rgb_to_y(b), crop)
