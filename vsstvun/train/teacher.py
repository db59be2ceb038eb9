"""Teacher flow from OpenCV DIS on the HR frames X3, X4, brought to LR pixels.

Used only in training, to give the flow net a head start.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..model.ops.dis import dis_flows


def dis_flow_lr(hr3: torch.Tensor, hr4: torch.Tensor, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """LR-size flows (3->4, 4->3) for a batch of HR frames (B, 3, H, W)."""
    f34, f43 = dis_flows(hr3, hr4)
    return F.avg_pool2d(f34, scale) / scale, F.avg_pool2d(f43, scale) / scale
