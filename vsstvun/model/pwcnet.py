"""PWC-Net flow estimator (NVlabs PWCDCNet layout) with configurable widths.

Layer names follow the original so that the authors' checkpoint loads unchanged. It is run on
bilinear-upsampled LR frames (``ModelConfig.flow_upsample``: x4 in the authors' network, whose
finest output, 1/4 of its input, is then at LR size and used directly as the LR flow).
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import LRELU_SLOPE, conv
from .config import ModelConfig
from .ops.correlation import correlation
from .ops.warp import backward_warp

#: Flow magnitude scaling when handing an upsampled coarse flow to the next level (NVlabs).
_LEVEL_WARP_SCALE = {5: 0.625, 4: 1.25, 3: 2.5, 2: 5.0}
#: The coarse flows (levels 6..3) are in NVlabs units: one unit is this many input pixels
#: (hence the warp scales above, 20 / 2^level), whereas the final flow (level 2) is in pixels of
#: its own grid, a quarter of the input's.
NVLABS_UNIT = 20.0


def _predict_flow(cin: int) -> nn.Conv2d:
    return nn.Conv2d(cin, 2, 3, padding=1, bias=True)


def _deconv(cin: int, cout: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=True)


class PWCNet(nn.Module):
    """Feature pyramid, cost volume, coarse-to-fine flow decoders and dilated context net."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        ch = cfg.pwc_channels
        self.md = cfg.pwc_md
        self.corr_norm = cfg.pwc_corr_norm
        prev = 3
        for lvl, c in enumerate(ch, start=1):
            if lvl < 6:
                self.add_module(f"conv{lvl}a", conv(prev, c, 3, stride=2))
                self.add_module(f"conv{lvl}aa", conv(c, c, 3))
                self.add_module(f"conv{lvl}b", conv(c, c, 3))
            else:  # NVlabs names the strided conv of level 6 ``conv6aa``.
                self.add_module("conv6aa", conv(prev, c, 3, stride=2))
                self.add_module("conv6a", conv(c, c, 3))
                self.add_module("conv6b", conv(c, c, 3))
            prev = c

        nd = (2 * self.md + 1) ** 2
        dense_total = sum(cfg.pwc_dense)
        for lvl in range(6, 1, -1):
            od = nd if lvl == 6 else nd + ch[lvl - 1] + 4
            acc = od
            for i, c in enumerate(cfg.pwc_dense):
                self.add_module(f"conv{lvl}_{i}", conv(acc, c, 3))
                acc += c
            self.add_module(f"predict_flow{lvl}", _predict_flow(od + dense_total))
            # ``deconv2`` is never run (level 2 is the finest) but the authors' checkpoint has it.
            self.add_module(f"deconv{lvl}", _deconv(2, 2))
            if lvl > 2:
                self.add_module(f"upfeat{lvl}", _deconv(od + dense_total, 2))
        acc = nd + ch[1] + 4 + dense_total
        for i, (c, dil) in enumerate(zip(cfg.pwc_context, (1, 2, 4, 8, 16, 1), strict=True), start=1):
            self.add_module(f"dc_conv{i}", conv(acc, c, 3, dilation=dil))
            acc = c
        self.dc_conv7 = _predict_flow(acc)
        self.n_dense = len(cfg.pwc_dense)

    def _pyramid(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for lvl in range(1, 7):
            names = ("conv6aa", "conv6a", "conv6b") if lvl == 6 else (f"conv{lvl}a", f"conv{lvl}aa", f"conv{lvl}b")
            for n in names:
                x = getattr(self, n)(x)
            feats.append(x)
        return feats

    def _cost(self, f1: torch.Tensor, f2: torch.Tensor) -> torch.Tensor:
        if self.corr_norm:  # cosine similarity: correlation averages over channels, undo that
            f1, f2 = nn.functional.normalize(f1, dim=1), nn.functional.normalize(f2, dim=1)
            return nn.functional.leaky_relu(correlation(f1, f2, self.md) * f1.shape[1], LRELU_SLOPE)
        return nn.functional.leaky_relu(correlation(f1, f2, self.md), LRELU_SLOPE)

    def _dense(self, lvl: int, x: torch.Tensor) -> torch.Tensor:
        for i in range(self.n_dense):
            x = torch.cat((getattr(self, f"conv{lvl}_{i}")(x), x), dim=1)
        return x

    def forward(self, im1: torch.Tensor, im2: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Flow from im1 to im2 at 1/4 of the input size, im1(x) ~ im2(x + flow(x)), and the
        coarse flows of levels 6..3 (coarsest first, in NVlabs units: :data:`NVLABS_UNIT`).

        Training supervises the coarse flows too (PWC-Net's multi-scale loss): with the final
        flow alone the coarse levels learn only through a long chain of warps and barely move.
        """
        # Both images share one pyramid pass: half the kernel launches.
        pyr = self._pyramid(torch.cat((im1, im2), dim=0))
        b = im1.shape[0]
        c1 = [p[:b] for p in pyr]
        c2 = [p[b:] for p in pyr]

        x = self._dense(6, self._cost(c1[5], c2[5]))
        flow = self.predict_flow6(x)
        coarse = [flow]
        up_flow, up_feat = self.deconv6(flow), self.upfeat6(x)
        for lvl in range(5, 1, -1):
            warped = backward_warp(c2[lvl - 1], up_flow * _LEVEL_WARP_SCALE[lvl])
            corr = self._cost(c1[lvl - 1], warped)
            x = self._dense(lvl, torch.cat((corr, c1[lvl - 1], up_flow, up_feat), dim=1))
            flow = getattr(self, f"predict_flow{lvl}")(x)
            if lvl > 2:
                coarse.append(flow)
                up_flow = getattr(self, f"deconv{lvl}")(flow)
                up_feat = getattr(self, f"upfeat{lvl}")(x)
        for i in range(1, 7):
            x = getattr(self, f"dc_conv{i}")(x)
        return flow + self.dc_conv7(x), coarse
