"""Early fusion with spatio-temporal weights (EFST).

The centre frame is never aligned explicitly: the 7 frames' features are fused early, each
frame is weighted per pixel by its agreement with the fused features (temporal attention), and
a small pyramid predicts a multiplicative and an additive spatial modulation of the fusion.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import conv, plain_conv


class _Attention(nn.Module):
    """Container named ``ff`` in the checkpoint; holds the attention convs."""

    def __init__(self, ch: int, n_frames: int) -> None:
        super().__init__()
        cat = ch * n_frames
        self.tAtt0 = plain_conv(ch, ch, 3)
        self.tAtt1 = plain_conv(ch, ch, 3)
        self.sAtt1 = conv(cat, ch, 1)
        self.sAtt2 = conv(2 * ch, ch, 1)
        self.sAttL1 = conv(ch, ch, 1)
        self.sAttL2 = conv(2 * ch, ch, 3)
        self.sAttL3 = conv(ch, ch, 3)
        self.sAtt3 = conv(ch, ch, 3)
        self.sAtt4 = conv(ch, ch, 1)
        self.sAtt5 = plain_conv(ch, ch, 3)
        self.sAttA1 = conv(ch, ch, 1)
        self.sAttA2 = plain_conv(ch, ch, 1)


def _pool_pair(x: torch.Tensor) -> torch.Tensor:
    """Max- and average-pooled halves, max first."""
    return torch.cat((F.max_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 3, 2, 1)), dim=1)


def _up2(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class EFST(nn.Module):
    """One module applied at every encoder level (shared weights)."""

    def __init__(self, ch: int, n_frames: int) -> None:
        super().__init__()
        self.early_fusion = plain_conv(ch * n_frames, ch, 1)
        self.ff = _Attention(ch, n_frames)
        self.n_frames = n_frames

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """feats: (B, T, C, H, W) with H, W multiples of 4 -> fused (B, C, H, W)."""
        b, t, c, h, w = feats.shape
        ff = self.ff
        # Early fusion: all 7 frames' features concatenated and mixed by one 1x1 conv (E).
        fused = self.early_fusion(feats.reshape(b, t * c, h, w))

        # Temporal weights: each frame, per pixel, by the agreement of its embedding with E's.
        ref = ff.tAtt1(fused)
        emb = ff.tAtt0(feats.reshape(b * t, c, h, w)).view(b, t, c, h, w)
        conf = torch.sigmoid((emb * ref.unsqueeze(1)).sum(dim=2, keepdim=True))
        weighted = (feats * conf).reshape(b, t * c, h, w)

        # Spatial weights: a two-level pyramid (1/2 and 1/4 size) over the weighted frames.
        a0 = ff.sAtt1(weighted)
        att = ff.sAtt2(_pool_pair(a0))
        low = ff.sAttL1(att)
        low = ff.sAttL3(ff.sAttL2(_pool_pair(low)))
        att = ff.sAtt3(att) + _up2(low)
        att = _up2(ff.sAtt4(att)) + a0
        att = ff.sAtt5(att)

        # Modulation of E: multiplicative (2 sigmoid(att): unchanged where att = 0) and additive.
        add = ff.sAttA2(ff.sAttA1(att))
        return fused * torch.sigmoid(att) * 2 + add
