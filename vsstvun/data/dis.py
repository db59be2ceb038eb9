"""OpenCV DIS optical flow both ways between two RGB frames.

The one classical flow of the project: the evaluation's ``bicubic+DIS`` baseline and the
training's teacher flow both call it, so "DIS flow" means the same thing in both.
"""

from __future__ import annotations

import cv2
import numpy as np


def _gray(rgb: np.ndarray) -> np.ndarray:
    """HWC float RGB in [0, 1] to 8-bit luma, the input DIS works on."""
    return cv2.cvtColor(np.rint(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)


def dis_both_ways(rgb3: np.ndarray, rgb4: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flows 3->4 and 4->3 (HWC float32, pixels) with DIS at its 'medium' preset."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    g3, g4 = _gray(rgb3), _gray(rgb4)
    return dis.calc(g3, g4, None), dis.calc(g4, g3, None)
