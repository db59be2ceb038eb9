"""OpenCV DIS optical flow both ways between two RGB frames.

The one classical flow of the project: the evaluation's ``bicubic+DIS`` and sequential baselines,
the training's teacher flow and the fusion head's DIS candidates
(:class:`~vsstvun.model.fusion.FusionHead`, ``ModelConfig.fusion_dis``) all call it, so "DIS
flow" means the same thing everywhere. It runs on the CPU whatever the network's device.

OpenCV is an optional dependency (the ``train`` and ``fuse`` extras), imported on first use, so
the filter without it still loads every file and runs every other mode.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import torch

#: What to install for DIS flow, named in the errors of everything that needs it.
OPENCV_HINT = "DIS flow needs OpenCV: pip install opencv-python-headless (or vsstvun[fuse])"


def opencv_available() -> bool:
    """Whether OpenCV imports: installed is not enough (``opencv-python`` without its system
    libraries fails at import), and a filter must refuse up front, not fail at every frame."""
    try:
        _cv2()
    except ImportError:
        return False
    return True


def _cv2() -> ModuleType:
    try:
        import cv2
    except ImportError as exc:
        raise ImportError(f"{OPENCV_HINT} ({exc})") from exc
    return cv2


def _gray(rgb: np.ndarray) -> np.ndarray:
    """HWC float RGB in [0, 1] to 8-bit luma, the input DIS works on."""
    cv2 = _cv2()
    return cv2.cvtColor(np.rint(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)


def dis_both_ways(rgb3: np.ndarray, rgb4: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flows 3->4 and 4->3 (HWC float32, pixels) with DIS at its 'medium' preset."""
    cv2 = _cv2()
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    g3, g4 = _gray(rgb3), _gray(rgb4)
    return dis.calc(g3, g4, None), dis.calc(g4, g3, None)


def dis_flows(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`dis_both_ways` of batches ``(B, 3, H, W)`` RGB in [0, 1]: flows a->b and b->a as
    ``(B, 2, H, W)`` fp32 on ``a``'s device (computed on the host, one pair at a time)."""

    def hwc(x: torch.Tensor) -> np.ndarray:
        return np.ascontiguousarray(x.detach().float().cpu().permute(1, 2, 0).numpy())

    pairs = [dis_both_ways(hwc(x), hwc(y)) for x, y in zip(a, b, strict=True)]
    ab, ba = (torch.from_numpy(np.stack([p[i] for p in pairs])).permute(0, 3, 1, 2) for i in (0, 1))
    return ab.to(a.device), ba.to(a.device)
