"""Shared decoder: one pass for the centre frame, one more per intermediate frame."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import DenseBlock, conv, plain_conv


class Decoder(nn.Module):
    """Dense-block decoder over the 4 feature levels plus a pixel-shuffle residual head.

    Level k consumes target features ``t_k`` and reference features ``r_k`` (EFST output for
    the centre pass, the centre pass's decoded ``d_k`` for an intermediate pass), and from
    k = 1 on also the previous level's decoded features through ``cconv{k}``.
    """

    def __init__(self, enc_ch: int, width: int, head_ch: int, scale: int, levels: int = 4) -> None:
        super().__init__()
        n0 = 2 * enc_ch
        n1 = n0 + width
        for k in range(levels):
            if k > 0:
                self.add_module(f"cconv{k}", plain_conv(2 * enc_ch, enc_ch, 1))
            self.add_module(f"block{k}_0", DenseBlock(n0, width))
            self.add_module(f"block{k}_1", DenseBlock(n1, n1))
            self.add_module(f"block{k}_2", DenseBlock(2 * n1, enc_ch))
        self.rconv0 = conv(enc_ch, head_ch, 3)
        self.rconv1 = plain_conv(head_ch, 3 * scale * scale, 3)
        self.levels = levels
        self.scale = scale

    def forward(self, targets: list[torch.Tensor], refs: list[torch.Tensor]) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Return (decoded features per level, HR residual)."""
        decoded: list[torch.Tensor] = []
        for k in range(self.levels):  # deepest encoder level first
            # Reference: EFST output (centre pass) or the centre pass's d_k, merged with d_{k-1}.
            r = refs[k]
            if k > 0:
                r = getattr(self, f"cconv{k}")(torch.cat((decoded[-1], r), dim=1))
            # Three densely connected blocks on the target features and the reference -> d_k.
            x = torch.cat((targets[k], r), dim=1)
            s0 = getattr(self, f"block{k}_0")(x)
            x = torch.cat((x, s0), dim=1)
            s1 = getattr(self, f"block{k}_1")(x)
            decoded.append(getattr(self, f"block{k}_2")(torch.cat((x, s1), dim=1)))
        # Reconstruction: the last level's features to an HR residual by sub-pixel convolution.
        residual = F.pixel_shuffle(self.rconv1(self.rconv0(decoded[-1])), self.scale)
        return decoded, residual
