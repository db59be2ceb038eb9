"""Teacher flow from OpenCV DIS on the HR frames X3, X4, brought to LR pixels.

Used only in training, to give the flow net a head start; inference never calls OpenCV.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch


def _gray(x: torch.Tensor) -> np.ndarray:
    rgb = x.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    return np.ascontiguousarray((rgb @ np.array([0.299, 0.587, 0.114], np.float32) * 255).astype(np.uint8))


def dis_flow_lr(hr3: torch.Tensor, hr4: torch.Tensor, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """LR-size flows (3->4, 4->3) for a batch of HR frames (B, 3, H, W)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    f34, f43 = [], []
    for a, b in zip(hr3, hr4):
        ga, gb = _gray(a), _gray(b)
        f34.append(dis.calc(ga, gb, None))
        f43.append(dis.calc(gb, ga, None))

    def to_lr(flows: list[np.ndarray]) -> torch.Tensor:
        f = torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2)
        return torch.nn.functional.avg_pool2d(f, scale) / scale

    return to_lr(f34).to(hr3.device), to_lr(f43).to(hr3.device)
