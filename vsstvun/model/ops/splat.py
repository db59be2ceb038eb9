"""Forward (softmax) splatting: two frames pushed along their flows to time t.

Backward warping (:mod:`.warp`) needs the flow *from* time t, which :func:`~.warp.flow_to_time`
guesses from the flows between the two frames; at a motion boundary that guess is wrong by the
whole motion, so a moving edge drags or doubles. Splatting needs no guess: every pixel of X3
moves by ``t * f34``, every pixel of X4 by ``(1 - t) * f43``, and where several land on one
place, the one that matches its partner frame best (the visible one, not the occluded one) wins
(Niklaus & Liu, "Softmax Splatting for Video Frame Interpolation", CVPR 2020). On fast motion
over a still background this is where the sequential pipeline loses most.
"""

from __future__ import annotations

import torch

from .warp import backward_warp

#: How sharply a pixel's brightness mismatch (mean absolute RGB difference in [0, 1] against its
#: partner frame warped back along the flow) lowers its weight: ``exp(-SPLAT_ALPHA * mismatch)``.
#: Chosen on a training clip, the network's own centre frames and DIS flow, with
#: ``scripts/dis_gate_probe.py --clip bigbuckbunny.mp4 --frames 49 --splat 5 10 20 50 100`` (x2
#: space, x4 time): 31.04, 31.08, 31.14, 31.14 and 31.07 dB; of the tied two, the milder.
SPLAT_ALPHA = 20.0

#: Below this summed weight a pixel counts as a hole and the caller's fallback frame fills it:
#: nothing landed there, or only pixels that match their partner frame badly on both sides
#: (occluded or mis-tracked; at ``SPLAT_ALPHA`` a mean mismatch above 0.35), where the splatted
#: colour is no better a guess than the backward-warped blend. On the training clip of
#: :data:`SPLAT_ALPHA`'s choice the splatted frame scored 31.14 dB with it, 31.05 with holes only
#: where nothing landed (the same probe with ``--splat 20 --hole 1e-30``).
HOLE = 1e-3


def forward_splat(x: torch.Tensor, flow: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each pixel of ``x`` ``(B, C, H, W)``, times its ``weight`` ``(B, 1, H, W)``, added
    bilinearly at ``p + flow(p)`` (flow ``(B, 2, H, W)`` in pixels, x then y); returns that sum
    and the sum of the weights, ``(B, C, H, W)`` and ``(B, 1, H, W)``. What lands outside the
    frame is dropped."""
    b, c, h, w = x.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=x.device, dtype=torch.float32),
        torch.arange(w, device=x.device, dtype=torch.float32),
        indexing="ij",
    )
    tx, ty = xs + flow[:, 0].float(), ys + flow[:, 1].float()
    x0, y0 = tx.floor(), ty.floor()
    fx, fy = tx - x0, ty - y0
    values = torch.cat((x.float() * weight, weight.float().expand(b, 1, h, w)), dim=1).reshape(b, c + 1, h * w)
    total = torch.zeros_like(values)
    for dx, dy, share in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xi, yi = x0 + dx, y0 + dy
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        index = (yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)).long().reshape(b, 1, h * w)
        total.scatter_add_(2, index.expand(b, c + 1, h * w), values * (share * inside).reshape(b, 1, h * w))
    total = total.reshape(b, c + 1, h, w)
    return total[:, :c], total[:, c:]


def splat_to_time(
    x3: torch.Tensor,
    x4: torch.Tensor,
    f34: torch.Tensor,
    f43: torch.Tensor,
    t: float | torch.Tensor,
    fallback: torch.Tensor,
    alpha: float = SPLAT_ALPHA,
    hole: float = HOLE,
) -> torch.Tensor:
    """The frame at t from X3 and X4 ``(B, 3, H, W)`` in [0, 1] splatted along ``t * f34`` and
    ``(1 - t) * f43``, weighted by (1 - t, t) and by how well each pixel matches the other frame;
    ``fallback`` (same shape, e.g. the backward-warped blend) where nothing lands. ``t`` a scalar
    or ``(B, 1, 1, 1)``. ``alpha`` and ``hole``: :data:`SPLAT_ALPHA` and :data:`HOLE`, set apart
    only by the probe that chose them (``scripts/dis_gate_probe.py --splat A --hole H``)."""
    mismatch3 = (x3 - backward_warp(x4, f34)).abs().mean(dim=1, keepdim=True)
    mismatch4 = (x4 - backward_warp(x3, f43)).abs().mean(dim=1, keepdim=True)
    sum3, weight3 = forward_splat(x3, t * f34, (1 - t) * torch.exp(-alpha * mismatch3.float()))
    sum4, weight4 = forward_splat(x4, (1 - t) * f43, t * torch.exp(-alpha * mismatch4.float()))
    weight = weight3 + weight4
    frame = (sum3 + sum4) / weight.clamp_min(hole)
    return torch.where(weight < hole, fallback.float(), frame).to(x3.dtype)
