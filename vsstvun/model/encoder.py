"""Per-frame feature encoder (weights shared over the 7 input frames)."""

from __future__ import annotations

import torch
from torch import nn

from .blocks import DenseBlock, conv


class Encoder(nn.Module):
    """conv 3->Ce then four dense blocks; every block's output is one feature level."""

    def __init__(self, ch: int, levels: int = 4) -> None:
        super().__init__()
        self.conv = conv(3, ch)
        for i in range(levels):
            self.add_module(f"block{i}", DenseBlock(ch, ch))
        self.levels = levels

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the levels deepest first, the order in which the decoder consumes them."""
        feats = []
        x = self.conv(x)
        for i in range(self.levels):
            x = getattr(self, f"block{i}")(x)
            feats.append(x)
        return feats[::-1]
