"""Teacher flow from OpenCV DIS on the HR frames X3, X4, brought to LR pixels.

Used only in training, to give the flow net a head start; inference never calls OpenCV.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data.dis import dis_both_ways


def _hwc(x: torch.Tensor) -> np.ndarray:
    return x.detach().float().permute(1, 2, 0).cpu().numpy()


def dis_flow_lr(hr3: torch.Tensor, hr4: torch.Tensor, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """LR-size flows (3->4, 4->3) for a batch of HR frames (B, 3, H, W)."""
    f34, f43 = [], []
    for a, b in zip(hr3, hr4, strict=True):
        fa, fb = dis_both_ways(_hwc(a), _hwc(b))
        f34.append(fa)
        f43.append(fb)

    def to_lr(flows: list[np.ndarray]) -> torch.Tensor:
        f = torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2)
        return torch.nn.functional.avg_pool2d(f, scale) / scale

    return to_lr(f34).to(hr3.device), to_lr(f43).to(hr3.device)
