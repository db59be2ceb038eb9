"""Building blocks shared by every sub-network.

``conv`` is always Conv2d + LeakyReLU(0.1) inside an ``nn.Sequential`` so the state-dict keys are
``NAME.0.weight`` exactly as in the authors' checkpoint; plain convs are bare ``nn.Conv2d``.
"""

from __future__ import annotations

import torch
from torch import nn

LRELU_SLOPE = 0.1


def conv(cin: int, cout: int, k: int = 3, dilation: int = 1, stride: int = 1) -> nn.Sequential:
    """Conv (same padding) followed by LeakyReLU(0.1)."""
    pad = dilation * (k // 2)
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=pad, dilation=dilation, bias=True),
        nn.LeakyReLU(LRELU_SLOPE, inplace=True),
    )


def plain_conv(cin: int, cout: int, k: int = 3) -> nn.Conv2d:
    """Conv with same padding and no activation."""
    return nn.Conv2d(cin, cout, k, padding=k // 2, bias=True)


class DenseBlock(nn.Module):
    """``out = conv1(cat(conv0(x), x))``: new features first, as the checkpoint expects."""

    def __init__(self, nin: int, nout: int) -> None:
        super().__init__()
        self.conv0 = conv(nin, nin)
        self.conv1 = conv(2 * nin, nout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv1(torch.cat((self.conv0(x), x), dim=1))


def init_weights(module: nn.Module) -> None:
    """He (Kaiming) normal init for every conv, fan-in, gain for LeakyReLU(0.1); zero biases.

    PyTorch's default conv init shrinks activations layer after layer: on a Big Buck Bunny frame
    the lite PWC-Net's pyramid features come out 3-5x smaller than with He init and its cost
    volumes (products of two features) 10-40x smaller, so the flow decoders start with almost no
    matching signal and learn large motions very slowly. The authors' code uses He init too.
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, a=LRELU_SLOPE, mode="fan_in", nonlinearity="leaky_relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
