"""A small learned head that merges several ways of making an in-between frame.

The joint decoder pass (the paper's, :meth:`~vsstvun.model.STVUN.synthesize`) and the warped
space-only frames of X3 and X4 (:meth:`~vsstvun.model.STVUN.warp_between`) fail in different
places: the first draws on the two LR frames only (its decoder hardly uses the 7-frame fusion),
the second carries the fusion but inherits every flow error as a doubled or dragged edge.
Averaging the joint frame with the sequential pipeline's beat each alone on compressed input
(the temporal ablation in docs/quality.md), which says their errors are partly independent; this head
learns, per HR pixel, how much to take from each candidate, plus a small correction, from what
the candidates and the LR frames show. With ``ModelConfig.fusion_dis`` a third candidate is the
sequential pipeline itself (the two space-only frames warped with DIS flow between them), whose
classical flow is right where the small flow net is not (large motion over a still background).
With ``ModelConfig.fusion_split`` each warped pair enters as its two sides, X3's and X4's frames
warped to t, rather than their (1 - t, t) blend: where something moves in front of the
background, one side shows the background the other covers, and a blend can only ghost both.

It works on the LR grid: each HR candidate enters space-to-depth (``scale**2`` pixels per LR
pixel), beside the two LR frames warped to t (where they disagree, the flow or an occlusion is
at fault) and the joint pass's last decoded features, so its cost is a few small convs per LR
pixel, a fraction of one decoder pass. It starts as the average of its candidates weighted by
a prior (the last conv is zero): equal for blended frames, (1 - t, t) for the two sides of a
split pair, so a split head starts exactly where the blending head does.

With ``ModelConfig.fusion_base`` it may also fall back on soft frames: the bilinear bases of X3
and X4 (their LR frames upsampled, no decoder residual) warped to t with the DIS flow. Where the
motion is uncertain (occlusions, drawings held on twos) a sharp edge in the wrong place costs
more PSNR than a soft one, which is why bicubic frames interpolated with DIS beat the sequential
pipeline on the cel clip at x2 although its centre frames are 4 dB better. These "extra"
candidates join through input and logit convs of their own, started at zero with a small prior,
so a head trained without them loads whole and starts close to where it was.

With ``ModelConfig.fusion_splat`` one more late candidate joins the same way, through convs of
its own: the two space-only frames *forward*-splatted to t along the DIS flows
(:func:`~vsstvun.model.ops.splat.splat_to_time`). Backward warping guesses the flow from time t
and drags moving edges at motion boundaries; splatting needs no guess, which is where fast
motion over a still background loses most.

With ``ModelConfig.fusion_still`` a last late group joins: X3's and X4's space-only frames as they
are, unwarped. Cartoons hold drawings on twos and threes, so between two frames a drawing jumps
rather than moves, and every warped candidate puts it half-way, where it never is; the unwarped
pair blended holds it on one side or the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import conv, plain_conv


class FusionHead(nn.Module):
    """``out = sum_k softmax(w + log prior)_k * candidate_k + correction``, weights and
    correction per HR pixel."""

    def __init__(
        self,
        channels: int,
        enc_ch: int,
        scale: int,
        candidates: int,
        guides: int = 0,
        extra: int = 0,
        splat: int = 0,
        still: int = 0,
    ) -> None:
        super().__init__()
        self.scale = scale
        self.candidates = candidates
        self.guides = guides
        self.extra = extra
        self.splat = splat
        self.still = still
        s2 = scale * scale
        # the candidates (3 s^2 each), X3 and X4 warped to t (3 each), decoded features, t
        cin = 3 * candidates * s2 + 6 + enc_ch + 1
        self.body = nn.Sequential(conv(cin, channels), conv(channels, channels), conv(channels, channels))
        # HR guide maps (one channel each) join the first conv before its activation through a conv
        # of their own, so a head trained without them loads whole and, the guide conv at zero,
        # computes what it did.
        self.guide = plain_conv(guides * s2, channels) if guides else None
        self.out = plain_conv(channels, (candidates + 3) * s2)
        # Late candidates, each group with an input conv (beside the guides') and a logit conv of
        # its own, so a head trained before a group existed loads whole: the soft bases
        # (``extra``), the splatted frame (``splat``), then the unwarped frames (``still``).
        self.extra_in, self.extra_out = _late_convs(extra, s2, channels)
        self.splat_in, self.splat_out = _late_convs(splat, s2, channels)
        self.still_in, self.still_out = _late_convs(still, s2, channels)
        self.reset_output()

    @property
    def late(self) -> list[tuple[nn.Conv2d, nn.Conv2d, int]]:
        """The late candidate groups this head has, in candidate order: (input conv, logit conv, frames)."""
        groups = [
            (self.extra_in, self.extra_out, self.extra),
            (self.splat_in, self.splat_out, self.splat),
            (self.still_in, self.still_out, self.still),
        ]
        return [(i, o, n) for i, o, n in groups if i is not None and o is not None]

    def reset_output(self) -> None:
        """Zero the last convs (the head then returns its candidates' mean weighted by the prior,
        :meth:`forward`) and the guide and late candidates' convs (those inputs then change nothing).
        Called again by :class:`~vsstvun.model.STVUN` after its network-wide init, which would
        undo it."""
        late = [conv for conv_in, conv_out, _ in self.late for conv in (conv_in, conv_out)]
        for layer in [self.out, self.guide, *late]:
            if layer is not None:
                nn.init.zeros_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(
        self,
        candidates: list[torch.Tensor],
        lr3: torch.Tensor,
        lr4: torch.Tensor,
        decoded: torch.Tensor,
        t: float | torch.Tensor,
        prior: Sequence[float | torch.Tensor] | None = None,
        guides: Sequence[torch.Tensor] = (),
    ) -> torch.Tensor:
        """All frames in the network's range on padded grids: HR candidates ``(B, 3, sH, sW)``,
        LR ``(B, 3, H, W)``, ``decoded`` ``(B, enc_ch, H, W)``; t a scalar or ``(B, 1, 1, 1)``.
        ``prior``: positive weights per candidate (scalars or ``(B, 1, 1, 1)``) that the head's
        softmax starts from, e.g. the (1 - t, t) of two warped sides; None weighs them equally.
        ``guides``: the HR maps ``(B, 1, sH, sW)`` a head built with ``guides`` takes. A head
        built with ``extra``, ``splat`` and ``still`` takes that many more candidates (and priors)
        after the others, in that order."""
        total = self.candidates + self.extra + self.splat + self.still
        if len(candidates) != total:
            raise ValueError(f"the fusion head takes {total} candidate frames, got {len(candidates)}")
        if len(guides) != self.guides:
            raise ValueError(f"the fusion head takes {self.guides} guide maps, got {len(guides)}")
        s, k = self.scale, self.candidates
        b, _, h, w = lr3.shape
        dtype = self.out.weight.dtype
        time = torch.as_tensor(t, dtype=dtype, device=lr3.device).expand(b, 1, h, w)
        x = torch.cat([F.pixel_unshuffle(c, s) for c in candidates[:k]] + [lr3, lr4, decoded.to(lr3.dtype)], dim=1)
        first, act = self.body[0]
        hidden = first(torch.cat((x.to(dtype), time), dim=1))
        if self.guide is not None:
            hidden = hidden + self.guide(_space_to_depth(guides, s, dtype))
        start = k
        for conv_in, _, n in self.late:
            hidden = hidden + conv_in(_space_to_depth(candidates[start : start + n], s, dtype))
            start += n
        features = self.body[1:](act(hidden))
        logits, correction = self.out(features).float().split([k * s * s, 3 * s * s], dim=1)
        logits = torch.cat([logits] + [conv_out(features).float() for _, conv_out, _ in self.late], dim=1)
        k = total
        logits = F.pixel_shuffle(logits, s).view(b, k, 1, h * s, w * s)
        if prior is not None:
            logits = logits + _log_weights(prior, b, lr3.device)
        weights = torch.softmax(logits, dim=1)
        return (weights * torch.stack(candidates, dim=1)).sum(dim=1) + F.pixel_shuffle(correction, s)


def _late_convs(frames: int, s2: int, channels: int) -> tuple[nn.Conv2d | None, nn.Conv2d | None]:
    """A late candidate group's input and logit convs (none for an empty group)."""
    if not frames:
        return None, None
    return plain_conv(3 * frames * s2, channels), plain_conv(channels, frames * s2)


def _space_to_depth(maps: Sequence[torch.Tensor], scale: int, dtype: torch.dtype) -> torch.Tensor:
    """HR maps ``(B, C, sH, sW)`` onto the LR grid, ``scale**2`` channels per HR channel, stacked."""
    return torch.cat([F.pixel_unshuffle(m, scale) for m in maps], dim=1).to(dtype)


def _log_weights(prior: Sequence[float | torch.Tensor], batch: int, device: torch.device) -> torch.Tensor:
    """``(B, K, 1, 1, 1)`` log of the prior weights (floored, so a side weighted 0 stays finite)."""
    weights = [torch.as_tensor(p, dtype=torch.float32, device=device).reshape(-1, 1, 1, 1) for p in prior]
    return torch.stack([w.expand(batch, 1, 1, 1) for w in weights], dim=1).clamp_min(1e-6).log()
