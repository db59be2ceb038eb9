"""Photometric clean-up of a flow field: every pixel keeps, among a few candidate motions, the one
under which the two frames agree best around it.

Why: the small flow net of ``lite`` over-smooths. The motion of a moving object bleeds a dozen
LR pixels and more into the still background around it (on bikes a static pixel's flow is off by
about 2 LR px on average; ``python -m vsstvun.eval.flowcheck``), and the in-between frames then
drag that background along. Each pixel's candidates are its own flow, the flows of the pixels
:data:`SHIFTS` away in the four directions (propagation, as in PatchMatch: a wrong pixel near a
right region borrows that region's motion) and zero motion; the score is the L1 difference of the
first frame and the second warped by the candidate, averaged over a ``box`` x ``box`` window so a
single noisy pixel does not decide. A pixel keeps its own flow unless a candidate field scores
lower around it (with ``box`` 1 the fit can then only improve, pixel by pixel; a wider window
scores each candidate as a coherent patch of motion). It costs a few dozen LR-frame warps,
nothing next to the network.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .warp import backward_warp

#: Distances (LR pixels) at which a pixel looks for a neighbour's flow, in each of four directions.
SHIFTS = (4, 8, 16)
#: Propagation rounds: a good flow travels up to ``ROUNDS * max(SHIFTS)`` pixels. One round with
#: shifts up to 16 px fixed bikes' bleeding as well as two rounds up to 8 px (end-point error 1.10
#: vs 1.11 LR px, from 1.93) at half the warps: 13 per direction.
ROUNDS = 1


def shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """``out(y, x) = x(y - dy, x - dx)``, edges replicated (no wrap-around)."""
    h, w = x.shape[-2:]
    padded = F.pad(x, (max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)), mode="replicate")
    top, left = max(-dy, 0), max(-dx, 0)
    return padded[..., top : top + h, left : left + w]


def photometric_cost(a: torch.Tensor, b: torch.Tensor, flow: torch.Tensor, box: int) -> torch.Tensor:
    """``(B, 1, H, W)``: mean over a ``box`` x ``box`` window and the channels of
    ``|a - b warped by flow|`` (windows are cut at the frame's edge, not zero-padded). The box
    mean runs as two 1-D passes: ``2 * box`` instead of ``box ** 2`` adds per pixel."""
    diff = (a - backward_warp(b, flow)).abs().mean(dim=1, keepdim=True)
    rows = F.avg_pool2d(diff, (1, box), stride=1, padding=(0, box // 2), count_include_pad=False)
    return F.avg_pool2d(rows, (box, 1), stride=1, padding=(box // 2, 0), count_include_pad=False)


def refine_flow(flow: torch.Tensor, a: torch.Tensor, b: torch.Tensor, box: int) -> torch.Tensor:
    """The flow ``a -> b`` (``(B, 2, H, W)``, pixels) after :data:`ROUNDS` rounds of the candidate
    choice the module docstring describes; ``a``, ``b`` are the frames ``(B, C, H, W)``.

    Differentiable with respect to the chosen flow values (the choice itself is not).
    """
    if box < 1 or box % 2 == 0:
        raise ValueError(f"box must be a positive odd number, got {box}")
    a, b, flow = a.float(), b.float(), flow.float()
    best = photometric_cost(a, b, flow, box)
    for _ in range(ROUNDS):
        candidates = [shift(flow, dy, dx) for d in SHIFTS for dy, dx in ((d, 0), (-d, 0), (0, d), (0, -d))]
        for candidate in [*candidates, torch.zeros_like(flow)]:
            cost = photometric_cost(a, b, candidate, box)
            better = cost < best
            flow = torch.where(better, candidate, flow)
            best = torch.where(better, cost, best)
    return flow
