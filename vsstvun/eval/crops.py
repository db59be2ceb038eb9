"""Side-by-side crops of a few methods' outputs and the ground truth, so people can look.

Tables say by how much; a crop says how (ringing, codec blocks, ghosting, a smeared edge). The
crop is the ``size`` x ``size`` window of the ground truth with the largest summed gradient
magnitude (the most texture, where methods differ most; squared gradients would favour one strong
edge such as a white panel's border), chosen on the ground truth alone so that every method
and every degradation shows the same pixels. Panels are enlarged by pixel repetition (nearest
neighbour) and placed 1:1 on the canvas (``Figure.figimage``), so no resampling blurs them.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from matplotlib.figure import Figure

from ..charts import opaque_png
from . import metrics

CROP_SIZE, ZOOM = 96, 3
_GAP, _HEADER, _DPI = 8, 80, 100


def detail_box(truth: np.ndarray, size: int = CROP_SIZE) -> tuple[int, int]:
    """Top-left ``(y, x)`` of the ``size`` x ``size`` window of ``truth`` (HWC uint8) with the
    largest sum of luma gradient magnitudes (the whole frame if it is smaller)."""
    h, w = truth.shape[:2]
    size_y, size_x = min(size, h), min(size, w)
    luma = cv2.cvtColor(truth, cv2.COLOR_RGB2GRAY).astype(np.float64)
    energy = np.hypot(cv2.Sobel(luma, cv2.CV_64F, 1, 0), cv2.Sobel(luma, cv2.CV_64F, 0, 1))
    sums = cv2.integral(energy)  # (h + 1, w + 1): window sums in O(1) each
    window = sums[size_y:, size_x:] - sums[:-size_y, size_x:] - sums[size_y:, :-size_x] + sums[:-size_y, :-size_x]
    y, x = np.unravel_index(int(np.argmax(window)), window.shape)
    return int(y), int(x)


def _chw(img: np.ndarray) -> np.ndarray:
    return img.transpose(2, 0, 1).astype(np.float64) / 255


def side_by_side(
    images: dict[str, np.ndarray], title: str, path: str | Path, size: int = CROP_SIZE, zoom: int = ZOOM
) -> tuple[int, int]:
    """Write the same crop of every image (HWC uint8, labelled by its key, the last one the
    reference) side by side as a PNG at ``path``; each label carries the crop's PSNR-Y against the
    reference. Returns the crop's top-left ``(y, x)``."""
    reference = list(images.values())[-1]
    y, x = detail_box(reference, size)
    crops = {name: img[y : y + size, x : x + size] for name, img in images.items()}
    truth = list(crops.values())[-1]
    ch, cw = truth.shape[:2]
    ph, pw = ch * zoom, cw * zoom
    width, height = len(crops) * pw + (len(crops) + 1) * _GAP, ph + _HEADER + _GAP
    fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    fig.text(0.5, 1 - 6 / height, title, ha="center", va="top", fontsize=9)
    for i, (name, crop) in enumerate(crops.items()):
        x0 = _GAP + i * (pw + _GAP)
        fig.figimage(np.repeat(np.repeat(crop, zoom, axis=0), zoom, axis=1), xo=x0, yo=_GAP, origin="upper")
        label = name
        if i < len(crops) - 1:
            label += f"\nPSNR-Y {float(metrics.psnr_y(_chw(crop), _chw(truth))):.2f} dB"
        fig.text((x0 + pw / 2) / width, (_GAP + ph + 4) / height, label, ha="center", va="bottom", fontsize=8)
    fig.savefig(path, dpi=_DPI)
    opaque_png(path)
    return y, x
